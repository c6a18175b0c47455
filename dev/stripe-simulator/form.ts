export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

/**
 * Decodes Stripe's form encoding (`line_items[0][price_data][currency]=usd`) into nested objects; numeric
 * keys become arrays, as the Stripe SDK writes them.
 */
export function parseStripeForm(body: string): FormObject {
  const root: FormObject = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const path = rawKey.replace(/\]/g, "").split("[");
    let node: FormObject = root;
    path.forEach((segment, index) => {
      if (index === path.length - 1) {
        node[segment] = value;
        return;
      }
      const existing = node[segment];
      if (typeof existing !== "object" || existing === null) node[segment] = {};
      node = node[segment] as FormObject;
    });
  }
  return arraysFromNumericKeys(root) as FormObject;
}

function arraysFromNumericKeys(value: FormValue): FormValue {
  if (typeof value === "string" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const converted = Object.fromEntries(
    keys.map((key) => [key, arraysFromNumericKeys(value[key] as FormValue)]),
  );
  if (keys.length > 0 && keys.every((key) => /^\d+$/.test(key))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((key) => converted[key] as FormValue);
  }
  return converted;
}
