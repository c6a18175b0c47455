export type PaymentProvider = "stripe" | "razorpay";

/** The provider of a checkout, told by its id: Razorpay's orders are order_..., Stripe's sessions cs_.... */
export const checkoutProvider = (checkoutId: string): PaymentProvider =>
  checkoutId.startsWith("order_") ? "razorpay" : "stripe";

/** The provider that took a payment, told by its id: Razorpay's are pay_..., Stripe's payment intents pi_.... */
export const paymentProvider = (paymentId: string): PaymentProvider =>
  paymentId.startsWith("pay_") ? "razorpay" : "stripe";

/** Seconds an open checkout must still have to be handed out again rather than replaced. */
export const CHECKOUT_REUSE_MARGIN_SECONDS = 5 * 60;
