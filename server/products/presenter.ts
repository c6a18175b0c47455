import { z } from "@hono/zod-openapi";
import type { Product } from "../../db/store.ts";
import { formatMinor } from "../shared/money.ts";

export const ProductSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    description: z.string(),
    price: z
      .string()
      .openapi({ example: "19.99", description: "Decimal string in the currency's major unit" }),
    currency: z.string().openapi({ example: "usd" }),
  })
  .openapi("Product");

export function presentProduct(product: Product): z.infer<typeof ProductSchema> {
  return {
    id: product.id,
    name: product.name,
    description: product.description,
    price: formatMinor(product.priceMinor, product.currency),
    currency: product.currency,
  };
}
