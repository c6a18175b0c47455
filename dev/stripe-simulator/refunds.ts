import type { FormObject } from "./form.ts";
import { StripeInputError } from "./sessions.ts";

/** What a completed Checkout Session leaves behind: the payment intent and its one charge. */
export interface PaymentIntent {
  id: string;
  charge: string;
  amount: number;
  currency: string;
  refunds: Refund[];
}

export interface Refund {
  id: string;
  object: "refund";
  amount: number;
  charge: string;
  created: number;
  currency: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: "duplicate" | "fraudulent" | "requested_by_customer" | null;
  status: "pending" | "succeeded" | "failed" | "canceled";
  failure_reason?: string;
}

const REASONS = ["duplicate", "fraudulent", "requested_by_customer"] as const;

export class StripeNotFoundError extends Error {}

/** The amount of the intent that succeeded and pending refunds have not yet taken back. */
export function unrefunded(intent: PaymentIntent): number {
  return intent.refunds
    .filter((refund) => refund.status === "succeeded" || refund.status === "pending")
    .reduce((left, refund) => left - refund.amount, intent.amount);
}

/** Validates a create-refund request as Stripe does for the parameters this app sends. */
export function buildRefund(
  form: FormObject,
  intents: Map<string, PaymentIntent>,
  id: string,
  nowSeconds: number,
): Refund {
  const intentId = typeof form.payment_intent === "string" ? form.payment_intent : undefined;
  if (!intentId) {
    throw new StripeInputError(
      "One of `charge` or `payment_intent` is required.",
      "payment_intent",
      "parameter_missing",
    );
  }
  const intent = intents.get(intentId);
  if (!intent) throw new StripeNotFoundError(`No such payment_intent: '${intentId}'`);
  const left = unrefunded(intent);
  if (left <= 0) {
    throw new StripeInputError(
      `Charge ${intent.charge} has already been refunded.`,
      undefined,
      "charge_already_refunded",
    );
  }
  let amount = left;
  if (form.amount !== undefined) {
    if (typeof form.amount !== "string" || !/^\d+$/.test(form.amount) || Number(form.amount) < 1) {
      throw new StripeInputError(`Invalid positive integer`, "amount", "parameter_invalid_integer");
    }
    amount = Number(form.amount);
    if (amount > left) {
      throw new StripeInputError(
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
        "amount",
        "amount_too_large",
      );
    }
  }
  const reason = form.reason;
  if (reason !== undefined && !REASONS.includes(reason as (typeof REASONS)[number])) {
    throw new StripeInputError(
      `Invalid reason: must be one of ${REASONS.join(", ")}`,
      "reason",
      "parameter_invalid",
    );
  }
  const metadata = form.metadata;
  return {
    id,
    object: "refund",
    amount,
    charge: intent.charge,
    created: nowSeconds,
    currency: intent.currency,
    metadata:
      typeof metadata === "object" && !Array.isArray(metadata) ? (metadata as Record<string, string>) : {},
    payment_intent: intent.id,
    reason: (reason as Refund["reason"]) ?? null,
    status: "succeeded",
  };
}

/** The charge object Stripe sends with charge.refunded. */
export function chargeOf(intent: PaymentIntent) {
  const refunded = intent.refunds
    .filter((refund) => refund.status === "succeeded")
    .reduce((sum, refund) => sum + refund.amount, 0);
  return {
    id: intent.charge,
    object: "charge",
    amount: intent.amount,
    amount_refunded: refunded,
    currency: intent.currency,
    payment_intent: intent.id,
    refunded: refunded >= intent.amount,
    status: "succeeded",
  };
}
