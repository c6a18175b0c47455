import { z } from "zod";
import type { NewProduct } from "../../db/store.ts";
import { type FieldErrors, zodFieldErrors } from "../http/problem.ts";
import { isKnownCurrency, parseMinor } from "../shared/money.ts";

export type ProductFormValues = Record<"name" | "description" | "price" | "currency" | "active", string>;

export const emptyProductForm = (currency: string): ProductFormValues => ({
  name: "",
  description: "",
  price: "",
  currency,
  active: "on",
});

const productForm = z
  .object({
    name: z.string().trim().min(1, "is required").max(200, "must be at most 200 characters"),
    description: z.string().trim().max(5000, "must be at most 5000 characters"),
    currency: z
      .string()
      .trim()
      .toLowerCase()
      .refine(isKnownCurrency, "must be an ISO 4217 code such as usd or eur"),
    price: z.string().trim().min(1, "is required"),
    active: z.string(),
  })
  .transform((form, ctx): NewProduct => {
    const priceMinor = isKnownCurrency(form.currency) ? parseMinor(form.price, form.currency) : undefined;
    if (priceMinor === undefined || priceMinor <= 0 || priceMinor > 2_000_000_000) {
      ctx.addIssue({
        code: "custom",
        path: ["price"],
        message: "must be a positive amount such as 19.99, with no more decimals than the currency has",
      });
      return z.NEVER;
    }
    return {
      name: form.name,
      description: form.description,
      priceMinor,
      currency: form.currency,
      active: form.active === "on",
    };
  });

/** Reads a submitted product form: either the product, or per-field errors with what was typed kept. */
export function parseProductForm(
  body: Record<string, unknown>,
): { ok: true; product: NewProduct } | { ok: false; values: ProductFormValues; errors: FieldErrors } {
  const values: ProductFormValues = {
    name: String(body.name ?? ""),
    description: String(body.description ?? ""),
    price: String(body.price ?? ""),
    currency: String(body.currency ?? ""),
    active: body.active === "on" ? "on" : "",
  };
  const result = productForm.safeParse(values);
  return result.success
    ? { ok: true, product: result.data }
    : { ok: false, values, errors: zodFieldErrors(result.error) };
}
