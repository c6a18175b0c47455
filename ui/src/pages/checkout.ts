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

/** Buy now: one order, then its payment; guarded so a double click never makes two orders. */
export function buyNow(productId: number, quantity: number, leaveFor: (url: string) => void): Promise<void> {
  inFlight ??= api
    .createOrder(productId, quantity)
    .then((order) => api.createPayment(order.id))
    .then((checkout) => leaveFor(checkout.checkout_url))
    .finally(() => {
      inFlight = null;
    });
  return inFlight;
}
