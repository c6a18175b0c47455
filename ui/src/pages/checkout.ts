import { api, type Checkout } from "../api.ts";
import type { Browser } from "../browser.ts";

let inFlight: Promise<void> | null = null;

/**
 * Takes the customer to the order's checkout: Stripe's page, or Razorpay Checkout over this one, whose proof the
 * payment result confirms. A closed Razorpay Checkout leaves the order payable, as Stripe's cancel link does.
 */
async function goToCheckout(checkout: Checkout, browser: Browser): Promise<void> {
  if (checkout.provider !== "razorpay") return browser.leaveFor(checkout.checkout_url);
  const orderPage = `/orders/${checkout.order_id}`;
  const proof = await browser.openRazorpay(checkout, `Order ${checkout.order_id}`);
  browser.leaveFor(
    proof
      ? `${orderPage}/payment-result?${new URLSearchParams({ ...proof })}`
      : `${orderPage}/payment-cancelled`,
  );
}

/** Opens (or reuses) the order's checkout and goes there; a second click while busy does nothing. */
export function payOrder(orderId: number, browser: Browser): Promise<void> {
  inFlight ??= api
    .createPayment(orderId)
    .then((checkout) => goToCheckout(checkout, browser))
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
  browser: Browser,
  ordered: () => void = () => undefined,
): Promise<void> {
  inFlight ??= api
    .createOrder(items)
    .then((order) => {
      ordered();
      return api.createPayment(order.id);
    })
    .then((checkout) => goToCheckout(checkout, browser))
    .finally(() => {
      inFlight = null;
    });
  return inFlight;
}
