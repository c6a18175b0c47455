import {
  type OrderView,
  paidChanges,
  paidCrmState,
  type StockShortage,
  StockShortError,
} from "../../db/store.ts";
import { describeShortages } from "../orders/service.ts";
import { refundUnwantedPayment } from "../refunds/service.ts";
import { AppError } from "../shared/errors.ts";
import type { PaymentProvider } from "./provider.ts";
import type { PaymentDeps } from "./service.ts";

/** A payment a provider says was made through one of our checkouts: all that fulfilment needs to know of it. */
export interface ProviderPayment {
  provider: PaymentProvider;
  /** The checkout it went through: a Stripe Checkout Session (cs_) or a Razorpay order (order_). */
  checkoutId: string;
  /** Our order, as the checkout's metadata or notes name it. */
  orderId: number | undefined;
  /** The money itself: Stripe's payment intent (pi_) or Razorpay's payment (pay_). */
  paymentId: string | null;
  amountMinor: number;
  /** Lower case, as orders keep it. */
  currency: string;
}

export type FulfilOutcome = "paid" | "already-paid" | "refunding" | { soldOut: StockShortage[] };

/** The request field that names the checkout, in each provider's confirm-payment. */
const CHECKOUT_FIELD: Record<PaymentProvider, string> = {
  stripe: "session_id",
  razorpay: "razorpay_order_id",
};

/**
 * The one fulfilment path, for both providers' confirm-payment, webhooks and cancellation alike: a payment
 * whose amount and currency match moves its order pending -> paid exactly once, and only that transition starts
 * the CRM sync. A payment the order cannot take (it was cancelled, or paid through another checkout) is refunded.
 */
export async function fulfilPayment(
  deps: PaymentDeps,
  payment: ProviderPayment,
  /** The payment's order as the caller just read it, which spares reading it again. */
  known?: OrderView,
): Promise<FulfilOutcome> {
  const field = CHECKOUT_FIELD[payment.provider];
  const { orderId } = payment;
  const order =
    known && known.id === orderId ? known : orderId ? await deps.store.findOrder(orderId) : undefined;
  if (!order) throw AppError.invalid({ [field]: ["does not belong to a known order"] });
  refuseMismatch(deps, payment, order);
  const { paymentId } = payment;
  // The payment, its CRM event and the event's claim in one transaction: only the transition's winner posts, at once.
  const paid = {
    sessionId: payment.checkoutId,
    paymentIntentId: paymentId,
    paidAt: new Date(),
    crmClaimedUntil: deps.crm.leaseFromNow(),
  };
  const refundIt = async () => {
    const current = (await deps.store.findOrder(order.id)) ?? order;
    if (!paymentId || current.paymentIntentId === paymentId) return false;
    await refundUnwantedPayment(deps, current, {
      paymentIntentId: paymentId,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
    }).catch((error) =>
      // The attempt is written first; the reconciliation pass asks the provider again.
      deps.log({
        level: "error",
        msg: "refund of an unwanted payment failed",
        order_id: order.id,
        error: String(error),
      }),
    );
    return true;
  };
  let transitioned: boolean;
  try {
    transitioned = await deps.store.markOrderPaid(order.id, paid);
  } catch (error) {
    if (!(error instanceof StockShortError)) throw error;
    // Paid after its hold was released, and the units are gone: the order cannot be fulfilled.
    if (await deps.store.cancelOrder(order.id, new Date(), "sold_out"))
      deps.log({
        level: "info",
        msg: "order sold out at payment",
        order_id: order.id,
        checkout_id: payment.checkoutId,
      });
    await refundIt();
    return { soldOut: error.shortages };
  }
  if (!transitioned) return (await refundIt()) ? "refunding" : "already-paid";
  deps.log({ level: "info", msg: "order paid", order_id: order.id, checkout_id: payment.checkoutId });
  deps.crm.syncSoon(
    order.id,
    { ...order, ...paidChanges(paid), ...paidCrmState(paid) },
    paid.crmClaimedUntil,
  );
  return "paid";
}

/** A payment whose amount or currency differs from its order's is logged and refused (400), never fulfilled. */
export function refuseMismatch(deps: PaymentDeps, payment: ProviderPayment, order: OrderView): void {
  if (payment.amountMinor === order.amountMinor && payment.currency === order.currency) return;
  deps.log({
    level: "error",
    msg: "checkout amount mismatch",
    order_id: order.id,
    provider: payment.provider,
    checkout_id: payment.checkoutId,
    paid_amount: payment.amountMinor,
    paid_currency: payment.currency,
  });
  throw AppError.invalid({
    [CHECKOUT_FIELD[payment.provider]]: ["was paid with an amount or currency that differs from the order"],
  });
}

/** confirm-payment's refusal of a payment its order could not take; nothing for one that paid it. */
export function refuseUnfulfilled(outcome: FulfilOutcome): void {
  if (outcome === "refunding") {
    throw AppError.conflict(
      "This order was cancelled before the payment arrived; the payment is refunded in full.",
    );
  }
  if (typeof outcome === "object") {
    throw AppError.conflict(
      `Sold out before the payment arrived: ${describeShortages(outcome.soldOut)} ` +
        "The order is cancelled and the payment is refunded in full.",
      { cancellation_reason: "sold_out" },
    );
  }
}

/** A signed event that cannot be applied (unknown order, wrong amount) is logged and acknowledged: a retry would not help. */
export async function fulfilFromWebhook(deps: PaymentDeps, payment: ProviderPayment, eventId: string) {
  try {
    await fulfilPayment(deps, payment);
  } catch (error) {
    if (!(error instanceof AppError) || !error.isRefusal) throw error;
    deps.log({ level: "error", msg: "webhook event not applied", event_id: eventId, reason: error.detail });
  }
}
