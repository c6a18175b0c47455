import { computed, effect, signal } from "@preact/signals";
import type { Product } from "./api.ts";

/** A product in the basket, as it was shown when it was added (the server prices the order again). */
export interface BasketLine {
  productId: number;
  name: string;
  price: string;
  currency: string;
  quantity: number;
  /** How many can still be ordered, when the shop said it is 5 or fewer (or the last order attempt said so). */
  left: number | null;
}

export const MAX_QUANTITY = 100;
export const MAX_LINES = 50;
const BASKET_KEY = "shop.basket";

function storedLines(): BasketLine[] {
  try {
    const lines = JSON.parse(localStorage.getItem(BASKET_KEY) ?? "[]");
    return Array.isArray(lines) ? lines.filter((line) => Number.isSafeInteger(line?.productId)) : [];
  } catch {
    return [];
  }
}

/** The basket: kept in the browser across reloads and tabs' next visits (localStorage), one line per product. */
export const basketLines = signal<BasketLine[]>(storedLines());
effect(() => {
  const text = JSON.stringify(basketLines.value);
  try {
    localStorage.setItem(BASKET_KEY, text);
  } catch {
    // A full or blocked storage only loses the basket on reload.
  }
});

export const basketCount = computed(() => basketLines.value.reduce((sum, line) => sum + line.quantity, 0));
/** The basket's one currency (a basket is paid in one), or null when it is empty. */
export const basketCurrency = computed(() => basketLines.value[0]?.currency ?? null);
/** Units × a price, as the API writes amounts (a decimal string in the currency's major unit), in whole minor units. */
export function amountOf(lines: Pick<BasketLine, "price" | "quantity">[], currency: string): string {
  const digits = fractionDigits(currency);
  const minor = lines.reduce(
    (sum, line) => sum + Math.round(Number(line.price) * 10 ** digits) * line.quantity,
    0,
  );
  return (minor / 10 ** digits).toFixed(digits);
}

/** The basket's total. */
export const basketTotal = computed(() => {
  const currency = basketCurrency.value;
  return currency ? amountOf(basketLines.value, currency) : "0";
});

function fractionDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat("en", { style: "currency", currency: currency.toUpperCase() }).resolvedOptions()
        .maximumFractionDigits ?? 2
    );
  } catch {
    return 2;
  }
}

const clampQuantity = (quantity: number, left: number | null) =>
  Math.max(1, Math.min(MAX_QUANTITY, left ?? MAX_QUANTITY, Math.floor(quantity)));

/** Adds units of a product; says why not when it cannot be (sold out, another currency, too many lines). */
export function addToBasket(product: Product, quantity: number): string | null {
  if (product.availability === "sold_out") return `${product.name} is sold out.`;
  const currency = basketCurrency.value;
  if (currency && currency !== product.currency)
    return `Your basket is in ${currency.toUpperCase()}: pay for it before adding products priced in ${product.currency.toUpperCase()}.`;
  const existing = basketLines.value.find((line) => line.productId === product.id);
  if (!existing && basketLines.value.length >= MAX_LINES)
    return `A basket holds at most ${MAX_LINES} different products.`;
  const wanted = (existing?.quantity ?? 0) + quantity;
  const line: BasketLine = {
    productId: product.id,
    name: product.name,
    price: product.price,
    currency: product.currency,
    quantity: clampQuantity(wanted, product.left),
    left: product.left,
  };
  basketLines.value = existing
    ? basketLines.value.map((kept) => (kept.productId === product.id ? line : kept))
    : [...basketLines.value, line];
  if (line.quantity < wanted) return `Only ${line.quantity} of ${product.name} can be in the basket.`;
  return null;
}

export function setQuantity(productId: number, quantity: number): void {
  basketLines.value = basketLines.value.map((line) =>
    line.productId === productId ? { ...line, quantity: clampQuantity(quantity, line.left) } : line,
  );
}

export function removeFromBasket(productId: number): void {
  basketLines.value = basketLines.value.filter((line) => line.productId !== productId);
}

export function emptyBasket(): void {
  basketLines.value = [];
}

/** What the shop said was short when the basket was ordered: each line learns how many are left. */
export function noteShortages(shortages: { product_id: number; left: number }[]): void {
  basketLines.value = basketLines.value.map((line) => {
    const short = shortages.find((entry) => entry.product_id === line.productId);
    return short ? { ...line, left: short.left } : line;
  });
}

/** The field's text as a whole number, or undefined when it is empty, negative, fractional or not a number. */
export function wholeNumber(text: string): number | undefined {
  return /^\s*\d{1,6}\s*$/.test(text) ? Number(text) : undefined;
}
