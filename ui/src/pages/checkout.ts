import { api } from "../api.ts";

/** The browser leaves for Stripe Checkout (or the simulator's page); tests replace this. */
export const navigation = {
  assign: (url: string) => window.location.assign(url),
};

let inFlight: Promise<void> | null = null;

/** Opens (or reuses) the order's Checkout Session and goes there; a second click while busy does nothing. */
export function payOrder(orderId: number): Promise<void> {
  inFlight ??= api
    .createPayment(orderId)
    .then((checkout) => navigation.assign(checkout.checkout_url))
    .finally(() => {
      inFlight = null;
    });
  return inFlight;
}

/** Buy now: one order, then its payment; guarded so a double click never makes two orders. */
export function buyNow(productId: number, quantity: number): Promise<void> {
  inFlight ??= api
    .createOrder(productId, quantity)
    .then((order) => api.createPayment(order.id))
    .then((checkout) => navigation.assign(checkout.checkout_url))
    .finally(() => {
      inFlight = null;
    });
  return inFlight;
}
