const exponentCache = new Map<string, number>();

/** The number of decimals of a currency's minor unit (2 for usd, 0 for jpy, 3 for kwd). */
export function minorUnitExponent(currency: string): number {
  let exponent = exponentCache.get(currency);
  if (exponent === undefined) {
    exponent = new Intl.NumberFormat("en", {
      style: "currency",
      currency: currency.toUpperCase(),
    }).resolvedOptions().maximumFractionDigits as number;
    exponentCache.set(currency, exponent);
  }
  return exponent;
}

/** 3998 usd -> "39.98"; integer arithmetic only, so no float rounding ever reaches a price. */
export function formatMinor(amountMinor: number, currency: string): string {
  const exponent = minorUnitExponent(currency);
  const negative = amountMinor < 0;
  const digits = Math.abs(amountMinor)
    .toString()
    .padStart(exponent + 1, "0");
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

/** "19.99" usd -> 1999; undefined when the text is not a plain amount with at most the currency's decimals. */
export function parseMinor(text: string, currency: string): number | undefined {
  const exponent = minorUnitExponent(currency);
  const match = /^(\d{1,12})(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const fraction = match[2] ?? "";
  if (fraction.length > exponent) return undefined;
  return Number(match[1]) * 10 ** exponent + Number(fraction.padEnd(exponent, "0") || "0");
}

export function isKnownCurrency(code: string): boolean {
  try {
    new Intl.NumberFormat("en", { style: "currency", currency: code.toUpperCase() });
    return /^[a-zA-Z]{3}$/.test(code) && Intl.supportedValuesOf("currency").includes(code.toUpperCase());
  } catch {
    return false;
  }
}
