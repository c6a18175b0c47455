import type { OrdersPart, OrderView, Refund, RefundReason, RefundsPart } from "../../db/store.ts";
import type { Config } from "../config.ts";
import type { CrmSync } from "../crm/sync.ts";
import { providerError } from "../payments/provider-error.ts";
import type { RazorpayClient } from "../payments/razorpay-client.ts";
import type { StripeClient } from "../payments/stripe-client.ts";
import { AppError } from "../shared/errors.ts";
import { formatMinor, minorUnitExponent, parseMinor } from "../shared/money.ts";
import { type ProviderRefund, refundGatewayFor } from "./gateways.ts";

export interface RefundDeps {
  config: Config;
  store: RefundsPart & OrdersPart;
  stripe: StripeClient | undefined;
  razorpay: RazorpayClient | undefined;
  crm: CrmSync;
  log: (fields: Record<string, unknown>) => void;
}

/** Attempts older than this have no request waiting for them any more: the reconciliation pass settles them. */
export const STALE_ATTEMPT_MS = 60_000;
const RECONCILE_BATCH = 20;
/** Written on an attempt whose request the provider may have carried out without our hearing back. */
const UNANSWERED = "unanswered";

export interface RefundRequest {
  amount?: string;
  reason?: RefundReason;
}

/**
 * An admin's refund of (part of) an order's payment, through the provider that took it (Stripe or Razorpay). The
 * attempt is written first, which reserves its amount on the order (the ledger refuses what does not fit,
 * db/refund-ledger.ts), then the provider is asked, then its answer is recorded. The provider refusing or not
 * answering releases the reservation; a refund it made anyway is found again by the attempt key it carries in its
 * metadata or notes (webhook, reconciliation, or the next attempt).
 */
export async function refundOrder(
  deps: RefundDeps,
  orderId: number,
  request: RefundRequest,
): Promise<Refund> {
  let order = await findOrderOrFail(deps.store, orderId);
  if (order.paymentIntentId && order.refunds.some(isUnanswered)) {
    await reconcilePayment(deps, order.paymentIntentId);
    order = await findOrderOrFail(deps.store, orderId);
  }
  const left = refundableMinor(order);
  if (order.status !== "paid" || !order.paymentIntentId || left <= 0) {
    throw AppError.conflict(
      order.status === "paid" || order.status === "refunded"
        ? "Nothing is left to refund on this order."
        : `Only a paid order can be refunded; this one is ${order.status}.`,
      { refundable: formatMinor(Math.max(0, left), order.currency) },
    );
  }
  const amountMinor = refundAmount(request.amount, order.currency, left);
  const attemptKey = crypto.randomUUID();
  const attempt = await deps.store.reserveRefund({
    orderId: order.id,
    attemptKey,
    paymentIntentId: order.paymentIntentId,
    appliesToOrder: true,
    amountMinor,
    currency: order.currency,
    reason: request.reason ?? null,
  });
  if (!attempt) {
    throw AppError.conflict("Other refunds of this order took what was left; reload it and try again.");
  }
  const gateway = refundGatewayFor(deps, order.paymentIntentId);
  let refund: ProviderRefund;
  try {
    refund = await gateway.create({
      paymentId: order.paymentIntentId,
      amountMinor,
      ...(request.reason && { reason: request.reason }),
      orderId: order.id,
      attemptKey,
      idempotencyKey: `refund-${attemptKey}`,
    });
  } catch (error) {
    const unanswered = gateway.unanswered(error);
    await deps.store.failRefundAttempt(
      attempt.id,
      `${unanswered ? UNANSWERED : "refused"}: ${(error as Error).message}`,
      new Date(),
    );
    return providerError(deps, error, "refund");
  }
  const recorded = await recordProviderRefund(deps, refund, order.id);
  deps.log({
    level: "info",
    msg: "order refunded",
    order_id: order.id,
    refund_id: refund.id,
    amount: formatMinor(amountMinor, order.currency),
    status: recorded?.status,
  });
  return recorded ?? attempt;
}

export const refundableMinor = (order: OrderView) =>
  order.amountMinor - order.refundedMinor - order.refundReservedMinor;

const isUnanswered = (refund: Refund) =>
  !refund.stripeRefundId && refund.status === "failed" && refund.failure?.startsWith(UNANSWERED) === true;

async function findOrderOrFail(store: OrdersPart, orderId: number): Promise<OrderView> {
  const order = await store.findOrder(orderId);
  if (!order) throw AppError.notFound("No such order.");
  return order;
}

/** The amount asked for, in minor units; a 400 naming `amount` unless it is a positive amount within what is left. */
export function refundAmount(text: string | undefined, currency: string, leftMinor: number): number {
  if (text === undefined) return leftMinor;
  const decimals = minorUnitExponent(currency);
  const amount = parseMinor(text, currency);
  const fail = (message: string) => {
    throw AppError.invalid({ amount: [message] });
  };
  if (amount === undefined) {
    return fail(
      decimals === 0
        ? "must be a whole amount such as 12"
        : `must be an amount such as 12.50, with at most ${decimals} decimals`,
    );
  }
  if (amount <= 0) return fail("must be more than zero");
  if (amount > leftMinor)
    return fail(`must be at most ${formatMinor(leftMinor, currency)}, what is left to refund`);
  return amount;
}

/**
 * Records what the provider says of one refund, whoever made it and however often it is told: the store applies
 * a refund once and moves its status only forward. A refund that succeeds is queued for the CRM.
 */
export async function recordProviderRefund(
  deps: RefundDeps,
  refund: ProviderRefund,
  knownOrderId?: number,
): Promise<Refund | undefined> {
  const { paymentId } = refund;
  const orderId =
    knownOrderId ??
    refund.orderId ??
    (paymentId ? await deps.store.findOrderIdByPaymentIntent(paymentId) : undefined);
  const order = orderId ? await deps.store.findOrder(orderId) : undefined;
  if (!order || !paymentId) {
    deps.log({
      level: "warn",
      msg: "refund for an unknown payment",
      refund_id: refund.id,
      payment_intent: paymentId,
    });
    return undefined;
  }
  const recorded = await deps.store.recordStripeRefund(
    {
      stripeRefundId: refund.id,
      status: refund.status,
      failure: refund.failure,
      attemptKey: refund.attemptKey,
      orderId: order.id,
      paymentIntentId: paymentId,
      appliesToOrder: order.paymentIntentId === paymentId,
      amountMinor: refund.amountMinor,
      currency: refund.currency,
      reason: refund.reason,
      createdAt: refund.createdAt,
    },
    new Date(),
  );
  if (recorded.status === "succeeded") deps.crm.syncRefundSoon(recorded.id);
  return recorded;
}

/** A refund event, and the check before a new attempt: every refund the provider has of the payment, recorded. */
export async function reconcilePayment(deps: RefundDeps, paymentId: string): Promise<void> {
  const gateway = refundGatewayFor(deps, paymentId);
  const refunds = await gateway.list(paymentId).catch((error) => providerError(deps, error, "list refunds"));
  for (const refund of refunds) await recordProviderRefund(deps, refund);
}

/**
 * Money that arrived for an order that cannot take it (a cancelled order, or a second payment of a paid
 * one) goes back in full. The attempt row, one per payment, makes a redelivered webhook a no-op; its key is
 * Stripe's idempotency key, so two deliveries at once ask Stripe once (Razorpay refuses the second: nothing is
 * left to refund).
 */
export async function refundUnwantedPayment(
  deps: RefundDeps,
  order: OrderView,
  payment: { paymentIntentId: string; amountMinor: number; currency: string },
): Promise<void> {
  const attempt = await deps.store.recordRefundAttemptOnce({
    orderId: order.id,
    attemptKey: `unwanted-${payment.paymentIntentId}`,
    paymentIntentId: payment.paymentIntentId,
    appliesToOrder: false,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    reason: "duplicate",
  });
  if (attempt.stripeRefundId) return;
  deps.log({
    level: "warn",
    msg: "refunding a payment the order cannot take",
    order_id: order.id,
    order_status: order.status,
    payment_intent: payment.paymentIntentId,
    amount: formatMinor(payment.amountMinor, payment.currency),
  });
  await askToRefundUnwanted(deps, attempt, attempt.attemptKey as string);
}

async function askToRefundUnwanted(deps: RefundDeps, attempt: Refund, idempotencyKey: string) {
  const refund = await refundGatewayFor(deps, attempt.paymentIntentId).create({
    paymentId: attempt.paymentIntentId,
    reason: "duplicate",
    orderId: attempt.orderId,
    attemptKey: attempt.attemptKey as string,
    idempotencyKey,
  });
  await recordProviderRefund(deps, refund, attempt.orderId);
}

/**
 * Settles attempts whose request is long over without a provider's refund id: a crash after the provider
 * accepted, a lost answer, or an unwanted payment whose refund the provider refused. The provider's refunds of
 * the payment are recorded first (matched by the attempt key in their metadata or notes); what is still open is
 * then retried (an unwanted payment: that money must go back) or released (an admin's attempt: the admin saw it
 * fail).
 */
export async function reconcileStaleAttempts(deps: RefundDeps, now = new Date()): Promise<number> {
  const stale = await deps.store.listStaleRefundAttempts(
    new Date(now.getTime() - STALE_ATTEMPT_MS),
    RECONCILE_BATCH,
  );
  for (const attempt of stale) {
    try {
      await reconcilePayment(deps, attempt.paymentIntentId);
      const current = await deps.store.findRefundByAttemptKey(attempt.attemptKey as string);
      if (current?.status !== "pending" || current.stripeRefundId) continue;
      if (!attempt.appliesToOrder) {
        // The first key may hold Stripe's saved error; after the check above a fresh one cannot refund twice.
        await askToRefundUnwanted(deps, attempt, `${attempt.attemptKey}:${crypto.randomUUID()}`);
      } else {
        await deps.store.failRefundAttempt(
          attempt.id,
          "abandoned: the request ended before the payment provider answered",
          now,
        );
      }
    } catch (error) {
      deps.log({
        level: "warn",
        msg: "refund reconciliation failed",
        refund: attempt.id,
        error: String(error),
      });
    }
  }
  return stale.length;
}
