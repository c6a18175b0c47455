import { createHmac, timingSafeEqual } from "node:crypto";
import type { Config } from "../config.ts";
import { AppError } from "../shared/errors.ts";

/**
 * The part of Razorpay's REST API (https://razorpay.com/docs/api/) this app uses, over fetch: the official
 * `razorpay` package cannot be pointed at another server (its host is fixed in its constructor), which the
 * simulator and the tests need (docs/decisions/017-razorpay-client.md).
 */

export const RAZORPAY_API = "https://api.razorpay.com";

export interface RazorpayOrder {
  id: string;
  entity: "order";
  amount: number;
  amount_paid: number;
  amount_due: number;
  currency: string;
  receipt: string | null;
  status: "created" | "attempted" | "paid";
  attempts: number;
  notes: Record<string, string>;
  created_at: number;
}

export interface RazorpayPayment {
  id: string;
  entity: "payment";
  amount: number;
  currency: string;
  status: "created" | "authorized" | "captured" | "refunded" | "failed";
  order_id: string | null;
  captured: boolean;
  amount_refunded: number;
  refund_status: "partial" | "full" | null;
  method: string;
  email: string | null;
  notes: Record<string, string>;
  error_code: string | null;
  error_description: string | null;
  created_at: number;
}

export interface RazorpayRefund {
  id: string;
  entity: "refund";
  amount: number;
  currency: string;
  payment_id: string;
  notes: Record<string, string>;
  receipt: string | null;
  status: "pending" | "processed" | "failed";
  speed_processed: "normal" | "optimum" | null;
  created_at: number;
}

export interface RazorpayCollection<T> {
  entity: "collection";
  count: number;
  items: T[];
}

/** Razorpay answered with an error: its HTTP status and its error object's code and description. */
export class RazorpayApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    readonly description: string,
    readonly field: string | null,
  ) {
    super(`Razorpay ${statusCode} ${code}: ${description}`);
  }
}

/** Razorpay could not be reached, or did not answer in time: the request may or may not have been carried out. */
export class RazorpayConnectionError extends Error {}

export interface RazorpayClientOptions {
  keyId: string;
  keySecret: string;
  /** Another Razorpay-compatible server (the simulator): RAZORPAY_API_BASE. */
  apiBase?: string;
  timeoutMs: number;
}

export class RazorpayClient {
  private readonly base: string;
  private readonly authorization: string;

  constructor(private readonly options: RazorpayClientOptions) {
    this.base = (options.apiBase ?? RAZORPAY_API).replace(/\/$/, "");
    this.authorization = `Basic ${Buffer.from(`${options.keyId}:${options.keySecret}`).toString("base64")}`;
  }

  get keyId(): string {
    return this.options.keyId;
  }

  createOrder(input: {
    amount: number;
    currency: string;
    receipt: string;
    notes: Record<string, string>;
  }): Promise<RazorpayOrder> {
    return this.call("POST", "/v1/orders", { ...input, currency: input.currency.toUpperCase() });
  }

  fetchOrder(orderId: string): Promise<RazorpayOrder> {
    return this.call("GET", `/v1/orders/${encodeURIComponent(orderId)}`);
  }

  fetchOrderPayments(orderId: string): Promise<RazorpayCollection<RazorpayPayment>> {
    return this.call("GET", `/v1/orders/${encodeURIComponent(orderId)}/payments`);
  }

  fetchPayment(paymentId: string): Promise<RazorpayPayment> {
    return this.call("GET", `/v1/payments/${encodeURIComponent(paymentId)}`);
  }

  capturePayment(paymentId: string, amount: number, currency: string): Promise<RazorpayPayment> {
    return this.call("POST", `/v1/payments/${encodeURIComponent(paymentId)}/capture`, {
      amount,
      currency: currency.toUpperCase(),
    });
  }

  /** `amount` unset refunds what is left of the payment. */
  refundPayment(
    paymentId: string,
    input: { amount?: number; notes: Record<string, string> },
  ): Promise<RazorpayRefund> {
    return this.call("POST", `/v1/payments/${encodeURIComponent(paymentId)}/refund`, {
      ...input,
      speed: "normal",
    });
  }

  fetchPaymentRefunds(paymentId: string): Promise<RazorpayCollection<RazorpayRefund>> {
    return this.call("GET", `/v1/payments/${encodeURIComponent(paymentId)}/refunds?count=100`);
  }

  private async call<T>(method: "GET" | "POST", path: string, body?: object): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          Authorization: this.authorization,
          Accept: "application/json",
          ...(body && { "Content-Type": "application/json" }),
        },
        body: body && JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new RazorpayConnectionError(`Razorpay ${method} ${path}: ${(error as Error).message}`);
    }
    const text = await response.text().catch(() => "");
    const parsed = parseJson(text);
    if (!response.ok) {
      const error = (parsed as { error?: Record<string, unknown> } | undefined)?.error ?? {};
      throw new RazorpayApiError(
        response.status,
        typeof error.code === "string" ? error.code : "SERVER_ERROR",
        typeof error.description === "string" ? error.description : text.slice(0, 200),
        typeof error.field === "string" ? error.field : null,
      );
    }
    if (parsed === undefined)
      throw new RazorpayApiError(response.status, "SERVER_ERROR", "The answer was not JSON.", null);
    return parsed as T;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const hmacHex = (secret: string, text: string) => createHmac("sha256", secret).update(text).digest("hex");

/** What Razorpay Checkout hands the browser after a payment: HMAC-SHA256 of `order_id|payment_id`, hex. */
export function paymentSignature(orderId: string, paymentId: string, keySecret: string): string {
  return hmacHex(keySecret, `${orderId}|${paymentId}`);
}

/** X-Razorpay-Signature: HMAC-SHA256 of the raw body with the webhook's secret, hex. */
export function webhookSignature(rawBody: string, webhookSecret: string): string {
  return hmacHex(webhookSecret, rawBody);
}

/** A hex signature against the expected one, in constant time. */
export function signatureMatches(expectedHex: string, givenHex: string | undefined): boolean {
  if (!givenHex || !/^[0-9a-f]{64}$/i.test(givenHex)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, "hex"), Buffer.from(givenHex.toLowerCase(), "hex"));
}

/** The client for RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET, at RAZORPAY_API_BASE when set (the simulator). */
export function createRazorpayClient(config: Config): RazorpayClient | undefined {
  if (!config.RAZORPAY_KEY_ID || !config.RAZORPAY_KEY_SECRET) return undefined;
  return new RazorpayClient({
    keyId: config.RAZORPAY_KEY_ID,
    keySecret: config.RAZORPAY_KEY_SECRET,
    apiBase: config.RAZORPAY_API_BASE,
    timeoutMs: config.RAZORPAY_TIMEOUT_MS,
  });
}

export function requireRazorpay(deps: { razorpay: RazorpayClient | undefined }): RazorpayClient {
  if (!deps.razorpay)
    throw new AppError(
      "not-configured",
      "Razorpay is not configured on this server (RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET).",
    );
  return deps.razorpay;
}

const RAZORPAY_CHECKOUT_SCRIPT = "https://checkout.razorpay.com/v1/checkout.js";

/** Where the browser loads Razorpay Checkout from; the simulator serves its stand-in at the same path. */
export function razorpayCheckoutScript(config: Config): string {
  return config.RAZORPAY_API_BASE
    ? `${config.RAZORPAY_API_BASE.replace(/\/$/, "")}/v1/checkout.js`
    : RAZORPAY_CHECKOUT_SCRIPT;
}

export interface CheckoutSources {
  script: string[];
  frame: string[];
  connect: string[];
  img: string[];
}

/**
 * The origins the site's Content-Security-Policy must allow for the checkout to open in the page: Razorpay
 * Checkout's script, the frame it opens, what they call and show; nothing for Stripe, whose checkout is a page of
 * its own the customer is sent to.
 */
export function checkoutSources(config: Config): CheckoutSources {
  if (config.PAYMENT_PROVIDER !== "razorpay") return { script: [], frame: [], connect: [], img: [] };
  if (config.RAZORPAY_API_BASE) {
    const simulator = new URL(config.RAZORPAY_API_BASE).origin;
    return { script: [simulator], frame: [simulator], connect: [simulator], img: [] };
  }
  return {
    script: ["https://checkout.razorpay.com"],
    frame: ["https://api.razorpay.com"],
    connect: ["https://api.razorpay.com", "https://lumberjack.razorpay.com"],
    img: ["https://cdn.razorpay.com"],
  };
}
