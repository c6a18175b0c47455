import type { OrderView, Store } from "../../db/store.ts";
import type { Config } from "../config.ts";
import type { CrmSync } from "../crm/sync.ts";
import { getOwnOrder } from "../orders/service.ts";
import { AppError } from "../shared/errors.ts";
import { checkoutProvider } from "./provider.ts";
import {
  confirmRazorpayPayment,
  type RazorpayCheckoutStart,
  startRazorpayCheckout,
} from "./razorpay-checkout.ts";
import type { RazorpayClient } from "./razorpay-client.ts";
import { confirmStripePayment, type StripeCheckoutStart, startStripeCheckout } from "./stripe-checkout.ts";
import type { StripeClient } from "./stripe-client.ts";

export interface PaymentDeps {
  config: Config;
  store: Store;
  stripe: StripeClient | undefined;
  razorpay: RazorpayClient | undefined;
  crm: CrmSync;
  log: (fields: Record<string, unknown>) => void;
}

export type CheckoutStart = StripeCheckoutStart | RazorpayCheckoutStart;

/** Opens (or hands out again) the order's checkout with the provider that takes new payments (PAYMENT_PROVIDER). */
export function startCheckout(
  deps: PaymentDeps,
  orderId: number,
  user: { id: number; email: string },
): Promise<CheckoutStart> {
  return deps.config.PAYMENT_PROVIDER === "razorpay"
    ? startRazorpayCheckout(deps, orderId, user)
    : startStripeCheckout(deps, orderId, user);
}

export interface ConfirmRequest {
  session_id?: string;
  razorpay_payment_id?: string;
  razorpay_order_id?: string;
  razorpay_signature?: string;
}

const RAZORPAY_FIELDS = ["razorpay_payment_id", "razorpay_order_id", "razorpay_signature"] as const;

/**
 * Confirms the customer's payment with the provider that took it: Razorpay when the three fields Razorpay
 * Checkout hands the browser are sent, Stripe for a session_id, else the provider of the order's own checkout.
 */
export async function confirmPayment(
  deps: PaymentDeps,
  orderId: number,
  userId: number,
  request: ConfirmRequest,
): Promise<OrderView> {
  const sent = RAZORPAY_FIELDS.filter((field) => request[field] !== undefined);
  if (sent.length > 0 && request.session_id !== undefined)
    throw AppError.invalid(
      {
        session_id: ["cannot be sent with the razorpay_ fields: a payment is either Stripe's or Razorpay's"],
      },
      "Send either session_id or the razorpay_ fields.",
    );
  if (sent.length > 0 && sent.length < RAZORPAY_FIELDS.length)
    throw AppError.invalid(
      Object.fromEntries(
        RAZORPAY_FIELDS.filter((field) => request[field] === undefined).map((field) => [
          field,
          ["is required with the other razorpay_ fields"],
        ]),
      ),
    );
  const order = await getOwnOrder(deps.store, orderId, userId);
  const razorpay =
    sent.length > 0 ||
    (request.session_id === undefined &&
      order.paymentSessionId !== null &&
      checkoutProvider(order.paymentSessionId) === "razorpay");
  return razorpay
    ? confirmRazorpayPayment(
        deps,
        order,
        sent.length > 0
          ? {
              paymentId: request.razorpay_payment_id as string,
              orderId: request.razorpay_order_id as string,
              signature: request.razorpay_signature as string,
            }
          : undefined,
      )
    : confirmStripePayment(deps, order, request.session_id);
}
