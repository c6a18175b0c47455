import Stripe from "stripe";
import { type OrderView, StockShortError } from "../../db/store.ts";
import { getOwnOrder, stockConflict } from "../orders/service.ts";
import { fromStripeRefund } from "../refunds/gateways.ts";
import { reconcilePayment, recordProviderRefund } from "../refunds/service.ts";
import { AppError } from "../shared/errors.ts";
import { type FulfilOutcome, fulfilFromWebhook, fulfilPayment, refuseUnfulfilled } from "./fulfilment.ts";
import { CHECKOUT_REUSE_MARGIN_SECONDS } from "./provider.ts";
import { providerError } from "./provider-error.ts";
import type { PaymentDeps } from "./service.ts";
import { type CheckoutSession, requireStripe, type StripeClient, webhookCrypto } from "./stripe-client.ts";

export interface StripeCheckoutStart {
  order_id: number;
  provider: "stripe";
  session_id: string;
  checkout_url: string;
  expires_at: string;
  reused: boolean;
}

const WEBHOOK_TOLERANCE_SECONDS = 300;

export async function startStripeCheckout(
  deps: PaymentDeps,
  orderId: number,
  user: { id: number; email: string },
) {
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
      existing.expires_at > nowSeconds + CHECKOUT_REUSE_MARGIN_SECONDS
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
      await fulfilStripeSession(deps, settled);
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

function presentCheckout(orderId: number, session: CheckoutSession, reused: boolean): StripeCheckoutStart {
  return {
    order_id: orderId,
    provider: "stripe",
    session_id: session.id,
    checkout_url: session.url as string,
    expires_at: new Date(session.expires_at * 1000).toISOString(),
    reused,
  };
}

/**
 * Asks Stripe (never the client) whether the customer's order's session is paid, fulfils it, and waits a bounded
 * time for the first CRM attempt so the customer sees its result.
 */
export async function confirmStripePayment(
  deps: PaymentDeps,
  order: OrderView,
  sessionId: string | undefined,
): Promise<OrderView> {
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
    refuseUnfulfilled(await fulfilStripeSession(deps, session, order));
  }
  return (await deps.crm.awaitSettled(order.id, deps.config.CRM_WAIT_MS)) as OrderView;
}

function sessionOrderId(session: CheckoutSession): number | undefined {
  const id = Number(session.metadata?.order_id ?? session.client_reference_id);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
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
      if (event.data.object.payment_status === "paid")
        await fulfilFromWebhook(deps, paymentOfSession(event.data.object), event.id);
      break;
    case "refund.created":
    case "refund.updated":
    case "refund.failed":
      await recordProviderRefund(deps, fromStripeRefund(event.data.object));
      break;
    case "charge.refunded": {
      const intent = event.data.object.payment_intent;
      const intentId = typeof intent === "string" ? intent : intent?.id;
      if (intentId) await reconcilePayment(deps, intentId);
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

/** A paid Checkout Session as the payment it made. */
function paymentOfSession(session: CheckoutSession) {
  const intent = session.payment_intent;
  return {
    provider: "stripe" as const,
    checkoutId: session.id,
    orderId: sessionOrderId(session),
    paymentId: typeof intent === "string" ? intent : (intent?.id ?? null),
    amountMinor: session.amount_total ?? 0,
    currency: session.currency ?? "",
  };
}

/** Fulfils a Checkout Session Stripe says is paid (fulfilment.ts). */
export function fulfilStripeSession(
  deps: PaymentDeps,
  session: CheckoutSession,
  known?: OrderView,
): Promise<FulfilOutcome> {
  if (session.payment_status !== "paid") throw AppError.conflict("The payment has not been completed.");
  return fulfilPayment(deps, paymentOfSession(session), known);
}

/**
 * Before a pending order is cancelled: its open Checkout Session is expired at Stripe, so it can no longer take
 * money; if Stripe says it was paid meanwhile, the order is fulfilled instead (409).
 */
export async function closeStripeCheckout(deps: PaymentDeps, sessionId: string): Promise<void> {
  const stripe = requireStripe(deps);
  const session = await stripe.checkout.sessions.expire(sessionId).catch((error) => {
    // Stripe refuses to expire a session that is no longer open: ask what became of it.
    if (error instanceof Stripe.errors.StripeInvalidRequestError)
      return retrieveSession(deps, stripe, sessionId);
    return providerError(deps, error, "expire session");
  });
  if (session.payment_status === "paid") {
    await fulfilStripeSession(deps, session);
    throw AppError.conflict("The order was paid before it could be cancelled.");
  }
  if (session.status === "complete") {
    throw AppError.conflict("A payment for this order is still being processed.", {
      payment_status: session.payment_status,
    });
  }
}
