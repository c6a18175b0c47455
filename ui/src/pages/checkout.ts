import { api } from "../api.ts";

let inFlight: Promise<void> | null = null;

/** Opens (or reuses) the order's Checkout Session and goes there; a second click while busy does nothing. */
export function payOrder(orderId: number, leaveFor: (url: string) => void): Promise<void> {
  inFlight ??= api
    .createPayment(orderId)
    .then((checkout) => leaveFor(checkout.checkout_url))
    .finally(() => {
      inFlight = null;
    });
  return inFlight;
}

/**
 * Buy now, or pay for the basket: one order of the lines, then its payment; guarded so a double click never makes
 * two orders. `ordered` runs once the order exists (the basket is emptied then: the order is in My orders).
 */
export function buyNow(
  items: { product_id: number; quantity: number }[],
  leaveFor: (url: string) => void,
  ordered: () => void = () => undefined,
): Promise<void> {
  inFlight ??= api
    .createOrder(items)
    .then((order) => {
      ordered();
      return api.createPayment(order.id);
    })
    .then((checkout) => leaveFor(checkout.checkout_url))
    .finally(() => {
      inFlight = null;
    });
  return inFlight;
}
