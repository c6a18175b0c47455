export type PaymentProvider = "stripe" | "razorpay";

/** The provider of a checkout, told by its id: Razorpay's orders are order_..., Stripe's sessions cs_.... */
export const checkoutProvider = (checkoutId: string): PaymentProvider =>
  checkoutId.startsWith("order_") ? "razorpay" : "stripe";
