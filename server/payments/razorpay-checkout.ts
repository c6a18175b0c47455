import type { OrderView } from "../../db/store.ts";
import { getOwnOrder, stockConflict } from "../orders/service.ts";
import { fromRazorpayRefund } from "../refunds/gateways.ts";
import { recordProviderRefund } from "../refunds/service.ts";
import { AppError } from "../shared/errors.ts";
import {
  fulfilFromWebhook,
  fulfilPayment,
  type ProviderPayment,
  refuseMismatch,
  refuseUnfulfilled,
} from "./fulfilment.ts";
import { CHECKOUT_REUSE_MARGIN_SECONDS, checkoutProvider } from "./provider.ts";
import { providerError } from "./provider-error.ts";
import {
  paymentSignature,
  RazorpayApiError,
  type RazorpayClient,
  type RazorpayOrder,
  type RazorpayPayment,
  type RazorpayRefund,
  razorpayCheckoutScript,
  requireRazorpay,
  signatureMatches,
  webhookSignature,
} from "./razorpay-client.ts";
import type { PaymentDeps } from "./service.ts";
import { closeStripeCheckout } from "./stripe-checkout.ts";

export interface RazorpayCheckoutStart {
  order_id: number;
  provider: "razorpay";
  razorpay_order_id: string;
  /** What Razorpay Checkout is opened with in the browser (the key id is public; its secret never leaves us). */
  key_id: string;
  /** In minor units, as Razorpay wants it. */
  amount: number;
  currency: string;
  /** The Razorpay Checkout script to load (Razorpay's, or the simulator's stand-in). */
  checkout_script: string;
  reused: boolean;
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

/**
 * Opens a Razorpay order for the customer's pending order, or hands out the one it has while its hold on the
 * stock lasts. Razorpay orders cannot be closed: one that is replaced, or whose order is cancelled, can still
 * take money, which then goes back by itself (fulfilment.ts).
 */
export async function startRazorpayCheckout(
  deps: PaymentDeps,
  orderId: number,
  user: { id: number },
): Promise<RazorpayCheckoutStart> {
  const order = await getOwnOrder(deps.store, orderId, user.id);
  const razorpay = requireRazorpay(deps);
  if (order.status === "cancelled")
    throw AppError.conflict("This order was cancelled; it can no longer be paid.");
  if (order.status !== "pending") throw AppError.conflict("This order is already paid.");
  const now = Date.now();
  const current = order.paymentStatus !== "expired" ? order.paymentSessionId : null;
  if (current && checkoutProvider(current) === "razorpay") {
    const existing = await razorpay
      .fetchOrder(current)
      .catch((error) => providerError(deps, error, "fetch order"));
    const state = await settleRazorpayOrder(deps, razorpay, existing, order);
    if (state === "paid") throw AppError.conflict("This order is already paid.");
    if (state === "processing") throw stillProcessing();
    const holdsUntil = order.paymentSessionExpiresAt?.getTime() ?? 0;
    if (holdsUntil > now + CHECKOUT_REUSE_MARGIN_SECONDS * 1000)
      return presentCheckout(deps, order, existing, razorpay, true);
  } else if (current && deps.stripe) {
    // The shop moved to Razorpay while this order had a Stripe session open: it must not take money as well.
    await closeStripeCheckout(deps, current);
  }
  const expiresAt = new Date(
    Math.ceil(now / 60_000) * 60_000 + deps.config.CHECKOUT_SESSION_TTL_MINUTES * 60_000,
  );
  const created = await razorpay
    .createOrder({
      amount: order.amountMinor,
      currency: order.currency,
      receipt: `order ${order.id}`,
      notes: { order_id: String(order.id) },
    })
    .catch((error) => providerError(deps, error, "create order"));
  const attached = await deps.store
    .attachPaymentSession(order.id, { id: created.id, expiresAt })
    .catch((error) => {
      throw stockConflict(error, "Some of this order's products sold out since it was made.");
    });
  if (!attached)
    throw AppError.conflict("This order can no longer be paid: it was paid or cancelled meanwhile.");
  return presentCheckout(deps, order, created, razorpay, false);
}

function presentCheckout(
  deps: PaymentDeps,
  order: OrderView,
  razorpayOrder: RazorpayOrder,
  razorpay: RazorpayClient,
  reused: boolean,
): RazorpayCheckoutStart {
  return {
    order_id: order.id,
    provider: "razorpay",
    razorpay_order_id: razorpayOrder.id,
    key_id: razorpay.keyId,
    amount: razorpayOrder.amount,
    currency: razorpayOrder.currency,
    checkout_script: razorpayCheckoutScript(deps.config),
    reused,
  };
}

/**
 * What a Razorpay order has taken: a captured payment pays our order here and now ("paid"), an authorized one is
 * being captured ("processing"), otherwise it can still be paid ("open"). Never reopened once it has money.
 */
async function settleRazorpayOrder(
  deps: PaymentDeps,
  razorpay: RazorpayClient,
  razorpayOrder: RazorpayOrder,
  order: OrderView,
): Promise<"open" | "paid" | "processing"> {
  if (razorpayOrder.status === "created") return "open";
  const payments = await razorpay
    .fetchOrderPayments(razorpayOrder.id)
    .catch((error) => providerError(deps, error, "list payments"));
  const captured = payments.items.find((payment) => payment.status === "captured");
  if (captured) {
    refuseUnfulfilled(await fulfilPayment(deps, paymentOf(captured, order.id), order));
    return "paid";
  }
  return payments.items.some((payment) => payment.status === "authorized") ? "processing" : "open";
}

const stillProcessing = () =>
  AppError.conflict("A payment for this order is still being processed.", { payment_status: "authorized" });

/** A Razorpay payment as the payment fulfilment takes. */
function paymentOf(payment: RazorpayPayment, orderId: number | undefined): ProviderPayment {
  return {
    provider: "razorpay",
    checkoutId: payment.order_id ?? "",
    orderId,
    paymentId: payment.id,
    amountMinor: payment.amount,
    currency: payment.currency.toLowerCase(),
  };
}

export interface CheckoutFields {
  paymentId: string;
  orderId: string;
  signature: string;
}

/**
 * The browser's word is checked, then Razorpay's is asked: the three fields Razorpay Checkout handed the browser
 * must carry our key secret's signature, and the payment, read from Razorpay, must be this order's, for its
 * amount and currency, and captured (an authorized one is captured here). Without the fields, the payments of the
 * order's Razorpay order are asked for instead.
 */
export async function confirmRazorpayPayment(
  deps: PaymentDeps,
  order: OrderView,
  fields: CheckoutFields | undefined,
): Promise<OrderView> {
  if (order.status === "pending" || order.status === "cancelled") {
    const razorpay = requireRazorpay(deps);
    const payment = fields
      ? await signedPayment(deps, razorpay, order, fields)
      : await latestPayment(deps, razorpay, order);
    if (payment.status === "failed")
      throw AppError.conflict(
        `The payment failed${payment.error_description ? `: ${payment.error_description}` : ""}. The order can still be paid.`,
        { payment_status: "failed" },
      );
    if (payment.status === "created")
      throw AppError.conflict("The payment has not been completed.", { payment_status: "pending" });
    let captured = payment;
    if (payment.status === "authorized") {
      // Checked before capturing, so money that does not match, or that a cancelled order cannot take, is never
      // taken: Razorpay gives an authorization nobody captures back by itself.
      refuseMismatch(deps, paymentOf(payment, order.id), order);
      if (order.status === "cancelled")
        throw AppError.conflict(
          "This order was cancelled before the payment arrived; the payment is not taken and Razorpay releases it.",
        );
      captured = await razorpay
        .capturePayment(payment.id, payment.amount, payment.currency)
        .catch((error) => providerError(deps, error, "capture"));
    }
    refuseUnfulfilled(await fulfilPayment(deps, paymentOf(captured, order.id), order));
  }
  return (await deps.crm.awaitSettled(order.id, deps.config.CRM_WAIT_MS)) as OrderView;
}

async function signedPayment(
  deps: PaymentDeps,
  razorpay: RazorpayClient,
  order: OrderView,
  fields: CheckoutFields,
): Promise<RazorpayPayment> {
  const expected = paymentSignature(
    fields.orderId,
    fields.paymentId,
    deps.config.RAZORPAY_KEY_SECRET as string,
  );
  if (!signatureMatches(expected, fields.signature))
    throw AppError.invalid(
      { razorpay_signature: ["does not match razorpay_order_id and razorpay_payment_id"] },
      "The payment's signature is not Razorpay's.",
    );
  if (fields.orderId !== order.paymentSessionId) {
    const razorpayOrder = await razorpay
      .fetchOrder(fields.orderId)
      .catch((error) => providerError(deps, error, "fetch order"));
    if (razorpayOrder.notes.order_id !== String(order.id))
      throw AppError.invalid(
        { razorpay_order_id: ["belongs to another order"] },
        "The payment is not this order's.",
      );
  }
  const payment = await razorpay.fetchPayment(fields.paymentId).catch((error) => {
    if (error instanceof RazorpayApiError && error.statusCode === 404)
      throw AppError.invalid({ razorpay_payment_id: ["is not a known Razorpay payment"] });
    return providerError(deps, error, "fetch payment");
  });
  if (payment.order_id !== fields.orderId)
    throw AppError.invalid({ razorpay_payment_id: ["is not a payment of razorpay_order_id"] });
  return payment;
}

async function latestPayment(
  deps: PaymentDeps,
  razorpay: RazorpayClient,
  order: OrderView,
): Promise<RazorpayPayment> {
  const checkoutId = order.paymentSessionId;
  if (!checkoutId)
    throw AppError.conflict("No payment has been started for this order.", { payment_status: "unpaid" });
  const payments = await razorpay
    .fetchOrderPayments(checkoutId)
    .catch((error) => providerError(deps, error, "list payments"));
  const rank = (payment: RazorpayPayment) =>
    ["captured", "authorized", "created", "failed", "refunded"].indexOf(payment.status);
  const [best] = [...payments.items].sort((a, b) => rank(a) - rank(b) || b.created_at - a.created_at);
  if (!best) throw AppError.conflict("The payment has not been completed.", { payment_status: "unpaid" });
  return best;
}

/**
 * Before a pending order is cancelled: a Razorpay order cannot be closed, so what it has taken is looked at. A
 * captured payment pays the order instead (409); one being captured is waited for (409); anything that arrives
 * after the cancellation is refunded (fulfilment.ts).
 */
export async function closeRazorpayCheckout(
  deps: PaymentDeps,
  order: OrderView,
  checkoutId: string,
): Promise<void> {
  const razorpay = requireRazorpay(deps);
  const razorpayOrder = await razorpay
    .fetchOrder(checkoutId)
    .catch((error) => providerError(deps, error, "fetch order"));
  const state = await settleRazorpayOrder(deps, razorpay, razorpayOrder, order);
  if (state === "paid") throw AppError.conflict("The order was paid before it could be cancelled.");
  if (state === "processing") throw stillProcessing();
}

interface RazorpayEvent {
  event: string;
  payload: {
    payment?: { entity: RazorpayPayment };
    order?: { entity: RazorpayOrder };
    refund?: { entity: RazorpayRefund };
  };
}

let prunedAt = 0;

/**
 * Verifies X-Razorpay-Signature over the raw body, skips an event already applied (by X-Razorpay-Event-Id), then
 * applies it: payment.captured and order.paid fulfil, payment.authorized is captured first, refund.* are
 * recorded, payment.failed is logged (the customer can try again with the same Razorpay order); anything else is
 * acknowledged and ignored.
 */
export async function handleRazorpayWebhook(
  deps: PaymentDeps,
  rawBody: string,
  signature: string | undefined,
  eventId: string | undefined,
) {
  const secret = deps.config.RAZORPAY_WEBHOOK_SECRET;
  if (!secret)
    throw new AppError(
      "not-configured",
      "Webhooks are not configured on this server (RAZORPAY_WEBHOOK_SECRET).",
    );
  if (!signature) throw new AppError("invalid-signature", "The X-Razorpay-Signature header is missing.");
  if (!signatureMatches(webhookSignature(rawBody, secret), signature))
    throw new AppError("invalid-signature", "The Razorpay signature is invalid.");
  const event = parseEvent(rawBody);
  if (eventId && (await deps.store.isWebhookEventApplied("razorpay", eventId)))
    return { received: true, type: event.event, replay: true };
  const payment = event.payload.payment?.entity;
  switch (event.event) {
    case "order.paid":
    case "payment.captured":
      if (payment?.status === "captured") {
        const notes = event.payload.order?.entity.notes ?? (await notesOfOrder(deps, payment.order_id));
        const ourId = Number(notes.order_id);
        await fulfilFromWebhook(
          deps,
          paymentOf(payment, Number.isSafeInteger(ourId) ? ourId : undefined),
          eventId ?? "",
        );
      }
      break;
    case "payment.authorized":
      if (payment) await captureAuthorized(deps, payment, eventId ?? "");
      break;
    case "payment.failed":
      deps.log({
        level: "info",
        msg: "payment failed",
        razorpay_order_id: payment?.order_id,
        reason: payment?.error_description,
      });
      break;
    case "refund.created":
    case "refund.processed":
    case "refund.failed": {
      const refund = event.payload.refund?.entity;
      if (refund) await recordProviderRefund(deps, fromRazorpayRefund(refund));
      break;
    }
    default:
      break;
  }
  if (eventId) {
    const now = new Date();
    await deps.store.recordWebhookEventApplied("razorpay", eventId, now);
    if (now.getTime() - prunedAt > 3600_000) {
      prunedAt = now.getTime();
      await deps.store.pruneWebhookEvents(new Date(now.getTime() - WEEK_MS));
    }
  }
  return { received: true, type: event.event, replay: false };
}

/**
 * An authorized payment of a pending order, for its amount, is captured and fulfils the order: so does a customer
 * who closed the page before the confirmation, on an account without automatic capture. Anything else is left
 * uncaptured, which Razorpay gives back by itself.
 */
async function captureAuthorized(deps: PaymentDeps, payment: RazorpayPayment, eventId: string) {
  const ourId = Number((await notesOfOrder(deps, payment.order_id)).order_id);
  const order = Number.isSafeInteger(ourId) ? await deps.store.findOrder(ourId) : undefined;
  if (
    order?.status !== "pending" ||
    payment.amount !== order.amountMinor ||
    payment.currency.toLowerCase() !== order.currency
  )
    return;
  const captured = await requireRazorpay(deps)
    .capturePayment(payment.id, payment.amount, payment.currency)
    .catch((error) => {
      // Captured meanwhile (by the confirmation, or automatically): payment.captured fulfils it.
      if (error instanceof RazorpayApiError && error.statusCode === 400) return undefined;
      return providerError(deps, error, "capture");
    });
  if (captured) await fulfilFromWebhook(deps, paymentOf(captured, order.id), eventId);
}

function parseEvent(rawBody: string): RazorpayEvent {
  try {
    const event = JSON.parse(rawBody) as RazorpayEvent;
    if (typeof event.event === "string" && event.payload && typeof event.payload === "object") return event;
  } catch {}
  throw AppError.invalid({ body: ["is not a Razorpay event: JSON with event and payload"] });
}

async function notesOfOrder(
  deps: PaymentDeps,
  razorpayOrderId: string | null,
): Promise<Record<string, string>> {
  if (!razorpayOrderId) return {};
  const razorpay = requireRazorpay(deps);
  return (
    await razorpay.fetchOrder(razorpayOrderId).catch((error) => providerError(deps, error, "fetch order"))
  ).notes;
}
