import type { OrderView } from "../../db/store.ts";
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
    currency: order.currency,
    userId: config.CRM_USER_ID,
    title: `Order #${order.id} paid`,
    body: `${order.quantity} × ${order.product.name} for ${amount} ${order.currency.toUpperCase()}, paid by ${order.customerEmail}.`,
    tags: ["order", "paid"],
  };
}

export const crmIdempotencyKey = (orderId: number) => `order-${orderId}-paid`;

/** One POST to CRM_URL. Every way it can go wrong becomes { ok: false, error } with the reason. */
export async function postOrderToCrm(config: Config, order: OrderView): Promise<CrmResult> {
  let response: Response;
  try {
    response = await fetch(config.CRM_URL, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "Idempotency-Key": crmIdempotencyKey(order.id),
      },
      body: JSON.stringify(crmPayload(config, order)),
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
