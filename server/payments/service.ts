import Stripe from "stripe";
import {
  type OrderView,
  paidChanges,
  paidCrmState,
  type StockShortage,
  StockShortError,
  type Store,
} from "../../db/store.ts";
import type { Config } from "../config.ts";
import type { CrmSync } from "../crm/sync.ts";
import { describeShortages, getOwnOrder, stockConflict } from "../orders/service.ts";
import { reconcilePaymentIntent, recordRefundFromStripe, refundUnwantedPayment } from "../refunds/service.ts";
import { AppError } from "../shared/errors.ts";
import {
  type CheckoutSession,
  providerError,
  requireStripe,
  type StripeClient,
  webhookCrypto,
} from "./stripe-client.ts";

export interface PaymentDeps {
  config: Config;
  store: Store;
  stripe: StripeClient | undefined;
  crm: CrmSync;
  log: (fields: Record<string, unknown>) => void;
}

export interface CheckoutStart {
  order_id: number;
  session_id: string;
  checkout_url: string;
  expires_at: string;
  reused: boolean;
}

/** Seconds of validity an open session must still have to be handed out again. */
const REUSE_MARGIN_SECONDS = 5 * 60;
const WEBHOOK_TOLERANCE_SECONDS = 300;

export async function startCheckout(deps: PaymentDeps, orderId: number, user: { id: number; email: string }) {
  const order = await getOwnOrder(deps.store, orderId, user.id);
  const stripe = requireStripe(deps);
  if (order.status === "cancelled")
    throw AppError.conflict("This order was cancelled; it can no longer be paid.");
  if (order.status !== "pending") throw AppError.conflict("This order is already paid.");
  const nowSeconds = Math.floor(Date.now() / 1000);

  if (order.paymentSessionId && order.paymentStatus !== "expired") {
    const existing = await retrieveSession(deps, stripe, order.paymentSessionId);
    if (
      existing.status === "open" &&
      existing.url &&
      existing.expires_at > nowSeconds + REUSE_MARGIN_SECONDS
    ) {
      return presentCheckout(order.id, existing, true);
    }
    // A session about to lapse is closed before it is replaced, so the customer cannot pay twice.
    const settled =
      existing.status === "open"
        ? await stripe.checkout.sessions
            .expire(existing.id)
            .catch(() => retrieveSession(deps, stripe, existing.id))
        : existing;
    if (settled.payment_status === "paid") {
      await fulfilCheckoutSession(deps, settled);
      throw AppError.conflict("This order is already paid.");
    }
    if (settled.status === "complete") {
      throw AppError.conflict("A payment for this order is still being processed.", {
        payment_status: settled.payment_status,
      });
    }
  }

  // Rounded up to the minute so that a double click sends identical parameters under one Idempotency-Key
  // and Stripe answers both with the same session.
  const expiresAt = Math.ceil(nowSeconds / 60) * 60 + deps.config.CHECKOUT_SESSION_TTL_MINUTES * 60;
  const orderUrl = `${deps.config.APP_URL.replace(/\/$/, "")}/orders/${order.id}`;
  const session = await stripe.checkout.sessions
    .create(
      {
        mode: "payment",
        line_items: order.items.map((item) => ({
          quantity: item.quantity,
          price_data: {
            currency: order.currency,
            unit_amount: item.unitPriceMinor,
            product_data: { name: item.product.name },
          },
        })),
        client_reference_id: String(order.id),
        metadata: { order_id: String(order.id) },
        customer_email: user.email,
        success_url: `${orderUrl}/payment-result?session_id={CHECKOUT_SESSION_ID}`,
        cancel_url: `${orderUrl}/payment-cancelled`,
        expires_at: expiresAt,
      },
      { idempotencyKey: `checkout-order-${order.id}-after-${order.paymentSessionId ?? "none"}-${expiresAt}` },
    )
    .catch((error) => providerError(deps, error, "create session"));
  const attached = await deps.store
    .attachPaymentSession(order.id, { id: session.id, expiresAt: new Date(session.expires_at * 1000) })
    .catch(async (error) => {
      // Its units were released when its last checkout lapsed, and are gone: the new session must not take money.
      if (error instanceof StockShortError)
        await stripe.checkout.sessions.expire(session.id).catch(() => undefined);
      throw stockConflict(error, "Some of this order's products sold out since it was made.");
    });
  if (!attached) {
    // Paid or cancelled meanwhile: the new session must not take money (if it does, it goes back).
    await stripe.checkout.sessions.expire(session.id).catch(() => undefined);
    throw AppError.conflict("This order can no longer be paid: it was paid or cancelled meanwhile.");
  }
  return presentCheckout(order.id, session, false);
}

function retrieveSession(deps: PaymentDeps, stripe: StripeClient, id: string): Promise<CheckoutSession> {
  return stripe.checkout.sessions.retrieve(id).catch((error) => providerError(deps, error, "retrieve"));
}

function presentCheckout(orderId: number, session: CheckoutSession, reused: boolean): CheckoutStart {
  return {
    order_id: orderId,
    session_id: session.id,
    checkout_url: session.url as string,
    expires_at: new Date(session.expires_at * 1000).toISOString(),
    reused,
  };
}

/**
 * Asks Stripe (never the client) whether the order's session is paid, fulfils it, and waits a bounded time
 * for the first CRM attempt so the customer sees its result.
 */
export async function confirmPayment(
  deps: PaymentDeps,
  orderId: number,
  userId: number,
  sessionId: string | undefined,
): Promise<OrderView> {
  const order = await getOwnOrder(deps.store, orderId, userId);
  if (order.status === "pending" || order.status === "cancelled") {
    const id = sessionId ?? order.paymentSessionId;
    if (!id)
      throw AppError.conflict("No payment has been started for this order.", { payment_status: "unpaid" });
    const stripe = requireStripe(deps);
    const session = await stripe.checkout.sessions.retrieve(id).catch((error) => {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404) {
        throw AppError.invalid({ session_id: ["is not a known checkout session"] });
      }
      return providerError(deps, error, "retrieve");
    });
    if (sessionOrderId(session) !== order.id) {
      throw AppError.invalid(
        { session_id: ["belongs to another order"] },
        "The session is not this order's.",
      );
    }
    if (session.payment_status !== "paid") {
      if (session.status === "expired") await deps.store.recordPaymentStatus(order.id, session.id, "expired");
      throw AppError.conflict("The payment has not been completed.", {
        payment_status: session.payment_status,
        session_status: session.status,
      });
    }
    const outcome = await fulfilCheckoutSession(deps, session, order);
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
  return (await deps.crm.awaitSettled(order.id, deps.config.CRM_WAIT_MS)) as OrderView;
}

function sessionOrderId(session: CheckoutSession): number | undefined {
  const id = Number(session.metadata?.order_id ?? session.client_reference_id);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/**
 * The one fulfilment path, for confirm-payment, the webhook and cancellation alike: a paid session whose
 * amount and currency match moves its order pending -> paid exactly once, and only that transition starts the
 * CRM sync. A payment the order cannot take (it was cancelled, or paid through another session) is refunded.
 */
export async function fulfilCheckoutSession(
  deps: PaymentDeps,
  session: CheckoutSession,
  /** The session's order as the caller just read it, which spares reading it again. */
  known?: OrderView,
): Promise<"paid" | "already-paid" | "refunding" | { soldOut: StockShortage[] }> {
  const orderId = sessionOrderId(session);
  const order =
    known && known.id === orderId ? known : orderId ? await deps.store.findOrder(orderId) : undefined;
  if (!order) throw AppError.invalid({ session_id: ["does not belong to a known order"] });
  if (session.payment_status !== "paid") throw AppError.conflict("The payment has not been completed.");
  if (session.amount_total !== order.amountMinor || session.currency !== order.currency) {
    deps.log({
      level: "error",
      msg: "checkout amount mismatch",
      order_id: order.id,
      session_id: session.id,
      session_amount: session.amount_total,
      session_currency: session.currency,
    });
    throw AppError.invalid({
      session_id: ["was paid with an amount or currency that differs from the order"],
    });
  }
  const paymentIntentId =
    typeof session.payment_intent === "string"
      ? session.payment_intent
      : (session.payment_intent?.id ?? null);
  // The payment, its CRM event and the event's claim in one transaction: only the transition's winner posts, at once.
  const payment = {
    sessionId: session.id,
    paymentIntentId,
    paidAt: new Date(),
    crmClaimedUntil: deps.crm.leaseFromNow(),
  };
  const refundIt = async () => {
    const current = (await deps.store.findOrder(order.id)) ?? order;
    if (!paymentIntentId || current.paymentIntentId === paymentIntentId) return false;
    await refundUnwantedPayment(deps, current, {
      paymentIntentId,
      amountMinor: session.amount_total ?? order.amountMinor,
      currency: session.currency ?? order.currency,
    }).catch((error) =>
      // The attempt is written first; the reconciliation pass asks Stripe again.
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
    transitioned = await deps.store.markOrderPaid(order.id, payment);
  } catch (error) {
    if (!(error instanceof StockShortError)) throw error;
    // Paid after its hold was released, and the units are gone: the order cannot be fulfilled.
    if (await deps.store.cancelOrder(order.id, new Date(), "sold_out"))
      deps.log({
        level: "info",
        msg: "order sold out at payment",
        order_id: order.id,
        session_id: session.id,
      });
    await refundIt();
    return { soldOut: error.shortages };
  }
  if (!transitioned) return (await refundIt()) ? "refunding" : "already-paid";
  deps.log({ level: "info", msg: "order paid", order_id: order.id, session_id: session.id });
  const paid = { ...order, ...paidChanges(payment), ...paidCrmState(payment) };
  deps.crm.syncSoon(order.id, paid, payment.crmClaimedUntil);
  return "paid";
}

/** Verifies Stripe's signature over the raw body, then applies the event; anything unhandled is ignored. */
export async function handleStripeWebhook(deps: PaymentDeps, rawBody: string, signature: string | undefined) {
  const stripe = requireStripe(deps);
  const secret = deps.config.STRIPE_WEBHOOK_SECRET;
  if (!secret)
    throw new AppError(
      "not-configured",
      "Webhooks are not configured on this server (STRIPE_WEBHOOK_SECRET).",
    );
  if (!signature) throw new AppError("invalid-signature", "The Stripe-Signature header is missing.");
  let event: Stripe.Event;
  try {
    event = await stripe.webhooks.constructEventAsync(
      rawBody,
      signature,
      secret,
      WEBHOOK_TOLERANCE_SECONDS,
      webhookCrypto,
    );
  } catch {
    throw new AppError("invalid-signature", "The Stripe signature is invalid or too old.");
  }
  // The SDK refuses only signatures older than the tolerance; one from the future is as suspect.
  const signedAt = Number(/(?:^|,)t=(\d+)/.exec(signature)?.[1]);
  if (signedAt > Date.now() / 1000 + WEBHOOK_TOLERANCE_SECONDS) {
    throw new AppError("invalid-signature", "The Stripe signature is dated in the future.");
  }
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
      if (event.data.object.payment_status === "paid") await fulfilFromWebhook(deps, event);
      break;
    case "refund.created":
    case "refund.updated":
    case "refund.failed":
      await recordRefundFromStripe(deps, event.data.object);
      break;
    case "charge.refunded": {
      const intent = event.data.object.payment_intent;
      const intentId = typeof intent === "string" ? intent : intent?.id;
      if (intentId) await reconcilePaymentIntent(deps, intentId);
      break;
    }
    case "checkout.session.async_payment_failed":
    case "checkout.session.expired": {
      const session = event.data.object;
      const orderId = sessionOrderId(session);
      const outcome = event.type === "checkout.session.expired" ? "expired" : "failed";
      if (orderId) await deps.store.recordPaymentStatus(orderId, session.id, outcome);
      break;
    }
    default:
      break;
  }
  return { received: true, type: event.type };
}

/** A signed event that cannot be applied (unknown order, wrong amount) is logged and acknowledged: a retry would not help. */
async function fulfilFromWebhook(
  deps: PaymentDeps,
  event: Stripe.Event & { data: { object: CheckoutSession } },
) {
  try {
    await fulfilCheckoutSession(deps, event.data.object);
  } catch (error) {
    if (!(error instanceof AppError) || !error.isRefusal) throw error;
    deps.log({ level: "error", msg: "webhook event not applied", event_id: event.id, reason: error.detail });
  }
}

/**
 * Calls off a pending order for its owner or an admin. An open Checkout Session is expired at Stripe first, so
 * it can no longer take money; if Stripe says it was paid meanwhile, the order is fulfilled instead (409).
 */
export async function cancelOrder(
  deps: PaymentDeps,
  orderId: number,
  user: { id: number; role: string },
): Promise<OrderView> {
  const order =
    user.role === "admin"
      ? await deps.store.findOrder(orderId)
      : await deps.store.findOrderForUser(orderId, user.id);
  if (!order) throw AppError.notFound("No such order.");
  if (order.status === "cancelled") return order;
  if (order.status !== "pending") throw AppError.conflict(`A ${order.status} order cannot be cancelled.`);
  if (order.paymentSessionId && order.paymentStatus !== "expired") {
    const stripe = requireStripe(deps);
    const sessionId = order.paymentSessionId;
    const session = await stripe.checkout.sessions.expire(sessionId).catch((error) => {
      // Stripe refuses to expire a session that is no longer open: ask what became of it.
      if (error instanceof Stripe.errors.StripeInvalidRequestError)
        return retrieveSession(deps, stripe, sessionId);
      return providerError(deps, error, "expire session");
    });
    if (session.payment_status === "paid") {
      await fulfilCheckoutSession(deps, session);
      throw AppError.conflict("The order was paid before it could be cancelled.");
    }
    if (session.status === "complete") {
      throw AppError.conflict("A payment for this order is still being processed.", {
        payment_status: session.payment_status,
      });
    }
  }
  const cancelled = await deps.store.cancelOrder(order.id, new Date());
  const current = (await deps.store.findOrder(order.id)) as OrderView;
  if (!cancelled && current.status !== "cancelled") {
    throw AppError.conflict(`A ${current.status} order cannot be cancelled.`);
  }
  if (cancelled) deps.log({ level: "info", msg: "order cancelled", order_id: order.id, by: user.role });
  return current;
}
