import Stripe from "stripe";
import { REFUND_REASONS } from "../../db/enums.ts";
import type { RefundReason, RefundStatus } from "../../db/store.ts";
import { paymentProvider } from "../payments/provider.ts";
import {
  type RazorpayClient,
  RazorpayConnectionError,
  type RazorpayRefund,
  requireRazorpay,
} from "../payments/razorpay-client.ts";
import { requireStripe, type StripeClient } from "../payments/stripe-client.ts";

/** A provider's refund as the refunds ledger records it, whichever provider made it. */
export interface ProviderRefund {
  /** Stripe's re_ id or Razorpay's rfnd_ id. */
  id: string;
  /** The payment it gives money back from: Stripe's payment intent (pi_) or Razorpay's payment (pay_). */
  paymentId: string | null;
  /** Our order, when the refund carries it (ours do; one made in the provider's dashboard does not). */
  orderId: number | undefined;
  /** The attempt that asked for it, when we did. */
  attemptKey: string | null;
  amountMinor: number;
  /** Lower case, as orders keep it. */
  currency: string;
  status: RefundStatus;
  failure: string | null;
  reason: RefundReason | null;
  createdAt: Date;
}

export interface RefundRequest {
  paymentId: string;
  /** Unset: everything not yet refunded of the payment. */
  amountMinor?: number;
  reason?: RefundReason;
  orderId: number;
  attemptKey: string;
  /** Stripe replays a request made again with its key; Razorpay refuses a refund past what is left instead. */
  idempotencyKey: string;
}

/** What the refund rules need of a payment provider (server/refunds/service.ts). */
export interface RefundGateway {
  create(request: RefundRequest): Promise<ProviderRefund>;
  /** Every refund the provider has of the payment. */
  list(paymentId: string): Promise<ProviderRefund[]>;
  /** The request may have been carried out though no answer came back. */
  unanswered(error: unknown): boolean;
}

interface GatewayDeps {
  stripe: StripeClient | undefined;
  razorpay: RazorpayClient | undefined;
}

/** The gateway of the provider that took the payment. */
export function refundGatewayFor(deps: GatewayDeps, paymentId: string): RefundGateway {
  return paymentProvider(paymentId) === "razorpay"
    ? razorpayGateway(requireRazorpay(deps))
    : stripeGateway(requireStripe(deps));
}

const REASONS = new Set<string>(REFUND_REASONS);
const orderIdOf = (text: string | undefined) => {
  const id = Number(text);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
};

const STRIPE_STATUSES: Record<string, RefundStatus> = {
  pending: "pending",
  requires_action: "pending",
  succeeded: "succeeded",
  failed: "failed",
  canceled: "failed",
};

export function fromStripeRefund(refund: Stripe.Refund): ProviderRefund {
  const intent = refund.payment_intent;
  return {
    id: refund.id,
    paymentId: typeof intent === "string" ? intent : (intent?.id ?? null),
    orderId: orderIdOf(refund.metadata?.order_id),
    attemptKey: refund.metadata?.refund_attempt ?? null,
    amountMinor: refund.amount,
    currency: refund.currency,
    status: STRIPE_STATUSES[refund.status ?? "pending"] ?? "pending",
    failure: refund.failure_reason ?? null,
    reason: refund.reason && REASONS.has(refund.reason) ? (refund.reason as RefundReason) : null,
    createdAt: new Date(refund.created * 1000),
  };
}

function stripeGateway(stripe: StripeClient): RefundGateway {
  return {
    async create(request) {
      const refund = await stripe.refunds.create(
        {
          payment_intent: request.paymentId,
          ...(request.amountMinor !== undefined && { amount: request.amountMinor }),
          ...(request.reason && { reason: request.reason }),
          metadata: { order_id: String(request.orderId), refund_attempt: request.attemptKey },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return fromStripeRefund(refund);
    },
    async list(paymentId) {
      const list = await stripe.refunds.list({ payment_intent: paymentId, limit: 100 });
      return list.data.map(fromStripeRefund);
    },
    unanswered: (error) => error instanceof Stripe.errors.StripeConnectionError,
  };
}

const RAZORPAY_STATUSES: Record<RazorpayRefund["status"], RefundStatus> = {
  pending: "pending",
  processed: "succeeded",
  failed: "failed",
};

export function fromRazorpayRefund(refund: RazorpayRefund): ProviderRefund {
  const reason = refund.notes.reason;
  return {
    id: refund.id,
    paymentId: refund.payment_id,
    orderId: orderIdOf(refund.notes.order_id),
    attemptKey: refund.notes.refund_attempt ?? null,
    amountMinor: refund.amount,
    currency: refund.currency.toLowerCase(),
    status: RAZORPAY_STATUSES[refund.status] ?? "pending",
    failure: refund.status === "failed" ? "failed at Razorpay" : null,
    reason: reason && REASONS.has(reason) ? (reason as RefundReason) : null,
    createdAt: new Date(refund.created_at * 1000),
  };
}

function razorpayGateway(razorpay: RazorpayClient): RefundGateway {
  return {
    async create(request) {
      const refund = await razorpay.refundPayment(request.paymentId, {
        ...(request.amountMinor !== undefined && { amount: request.amountMinor }),
        // Razorpay keeps no reason of its own: it travels in the notes, with our order and attempt.
        notes: {
          order_id: String(request.orderId),
          refund_attempt: request.attemptKey,
          ...(request.reason && { reason: request.reason }),
        },
      });
      return fromRazorpayRefund(refund);
    },
    async list(paymentId) {
      return (await razorpay.fetchPaymentRefunds(paymentId)).items.map(fromRazorpayRefund);
    },
    unanswered: (error) => error instanceof RazorpayConnectionError,
  };
}
