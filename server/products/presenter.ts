import { z } from "@hono/zod-openapi";
import { availabilityOf } from "../../db/stock.ts";
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
    availability: z.enum(["in_stock", "low", "sold_out"]).openapi({
      description: "low: 5 or fewer can still be ordered; sold_out: none (it cannot be ordered)",
    }),
    left: z
      .number()
      .int()
      .nullable()
      .openapi({ example: 3, description: "How many can still be ordered when 5 or fewer, otherwise null" }),
  })
  .openapi("Product");

export function presentProduct(product: Product): z.infer<typeof ProductSchema> {
  return {
    id: product.id,
    name: product.name,
    description: product.description,
    price: formatMinor(product.priceMinor, product.currency),
    currency: product.currency,
    ...availabilityOf(product),
  };
}
