import type { OrderView, RefundView } from "../../db/store.ts";
import type { Config } from "../config.ts";
import { formatMinor } from "../shared/money.ts";

export type CrmResult = { ok: true; reference: string | null } | { ok: false; error: string };

/**
 * The CRM payload. The brief's three fields come first; DummyJSON's /posts/add (the default CRM) also needs a
 * numeric userId, and keeps only title, body, userId, tags and reactions.
 */
export function crmPayload(config: Config, order: OrderView) {
  const amount = formatMinor(order.amountMinor, order.currency);
  return {
    order_id: order.id,
    amount,
    customer_email: order.customerEmail,
    items: order.items.map((item) => ({
      product_id: item.product.id,
      name: item.product.name,
      quantity: item.quantity,
      amount: formatMinor(item.amountMinor, order.currency),
    })),
    currency: order.currency,
    userId: config.CRM_USER_ID,
    title: `Order #${order.id} paid`,
    body: `${order.items.map((item) => `${item.quantity} × ${item.product.name}`).join(", ")} for ${amount} ${order.currency.toUpperCase()}, paid by ${order.customerEmail}.`,
    tags: ["order", "paid"],
  };
}

/** A succeeded refund, as its own CRM event: the paid order's fields, then what was given back. */
export function crmRefundPayload(config: Config, refund: RefundView) {
  const { order } = refund;
  const refundAmount = formatMinor(refund.amountMinor, refund.currency);
  return {
    order_id: order.id,
    amount: formatMinor(order.amountMinor, order.currency),
    customer_email: order.customerEmail,
    event: "refund",
    refund_id: refund.stripeRefundId,
    refund_amount: refundAmount,
    currency: refund.currency,
    userId: config.CRM_USER_ID,
    title: `Order #${order.id} refunded ${refundAmount}`,
    body: `${refundAmount} ${refund.currency.toUpperCase()} of order #${order.id} refunded to ${order.customerEmail} (${refund.reason ?? "no reason given"}).`,
    tags: ["order", "refund"],
  };
}

export const crmIdempotencyKey = (orderId: number) => `order-${orderId}-paid`;
export const crmRefundIdempotencyKey = (refundId: number) => `refund-${refundId}`;

/** One POST to CRM_URL. Every way it can go wrong becomes { ok: false, error } with the reason. */
export async function postToCrm(config: Config, idempotencyKey: string, payload: object): Promise<CrmResult> {
  let response: Response;
  try {
    response = await fetch(config.CRM_URL, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "Idempotency-Key": idempotencyKey,
      },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(config.CRM_TIMEOUT_MS),
      redirect: "error",
    });
  } catch (error) {
    const name = (error as Error).name;
    if (name === "TimeoutError" || name === "AbortError") {
      return { ok: false, error: `timeout: no answer within ${config.CRM_TIMEOUT_MS} ms` };
    }
    return { ok: false, error: `unreachable: ${(error as Error).message}` };
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return { ok: false, error: `unreadable answer: ${(error as Error).message}` };
  }
  if (!response.ok) return { ok: false, error: `HTTP ${response.status}: ${text.slice(0, 200)}` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, error: `unreadable answer: HTTP ${response.status} with a body that is not JSON` };
  }
  const id = (body as { id?: unknown } | null)?.id;
  return { ok: true, reference: typeof id === "string" || typeof id === "number" ? String(id) : null };
}
