import type { CatalogPart, OrdersPart, OrderView } from "../../db/store.ts";
import { AppError } from "../shared/errors.ts";

export const MAX_QUANTITY = 100;

/** The price comes from the product row, never from the client. */
export async function placeOrder(
  store: OrdersPart & CatalogPart,
  user: { id: number; email: string },
  input: { product_id: number; quantity: number },
): Promise<OrderView> {
  const product = await store.findProduct(input.product_id);
  if (!product?.active) {
    throw AppError.invalid({ product_id: ["does not name an available product"] });
  }
  return store.createOrder(
    {
      userId: user.id,
      productId: product.id,
      quantity: input.quantity,
      unitPriceMinor: product.priceMinor,
      amountMinor: product.priceMinor * input.quantity,
      currency: product.currency,
    },
    {
      product: {
        id: product.id,
        name: product.name,
        priceMinor: product.priceMinor,
        currency: product.currency,
      },
      customerEmail: user.email,
    },
  );
}

export async function getOwnOrder(store: OrdersPart, orderId: number, userId: number): Promise<OrderView> {
  const order = await store.findOrderForUser(orderId, userId);
  if (!order) throw AppError.notFound("No such order.");
  return order;
}
