import { z } from "@hono/zod-openapi";
import { availabilityOf } from "../../db/stock.ts";
import type { Product } from "../../db/store.ts";
import { formatMinor } from "../shared/money.ts";
import { presentPicture } from "./pictures.ts";

export const PictureSchema = z
  .object({
    url: z
      .string()
      .openapi({ example: "/media/products/3f5a…-1280.webp", description: "The largest version" }),
    width: z.number().int().openapi({ description: "The largest version's width in pixels" }),
    height: z.number().int(),
    srcset: z.string().openapi({ description: "Every version with its width, for an img's srcset" }),
  })
  .openapi("Picture");

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
    image: PictureSchema.nullable(),
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
    image: presentPicture(product),
  };
}
