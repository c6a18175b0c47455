import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import {
  paymentSignature,
  type RazorpayOrder,
  type RazorpayPayment,
  type RazorpayRefund,
  webhookSignature,
} from "../../server/payments/razorpay-client.ts";
import { SimulatedFaults } from "../simulator-faults.ts";

export interface RazorpaySimulatorOptions {
  /** The one key pair it accepts (rzp_test_ keys only, as a test-mode account). */
  keyId: string;
  keySecret: string;
  /** Where payment.*, order.paid and refund.* events are posted; none are sent when unset. */
  webhookUrl?: string;
  webhookSecret: string;
  now?: () => number;
  /** A JSON file that keeps orders, payments and refunds across restarts (`bun run dev` keeps it beside its database). */
  stateFile?: string;
}

export interface DeliveredEvent {
  id: string;
  event: string;
  /** The id of the event's main entity: a payment or a refund. */
  entityId: string;
  status: number | "unreachable";
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Razorpay's ids: a prefix and 14 letters and digits. */
function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(14));
  return `${prefix}_${[...bytes].map((byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join("")}`;
}

class RazorpayError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 500,
    readonly description: string,
    readonly field: string | null = null,
  ) {
    super(description);
  }
}

/**
 * A stand-in for the part of Razorpay's API that this app uses: orders, payments (read, capture), refunds
 * (create, read, list by payment) with Razorpay's JSON, errors and Basic authentication, and webhooks signed with
 * X-Razorpay-Signature and numbered by X-Razorpay-Event-Id. Payments are made by the `/__simulator/` endpoints
 * (pay, fail), which answer with the three fields Razorpay Checkout hands the browser.
 */
export function createRazorpaySimulator(options: RazorpaySimulatorOptions) {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const orders = new Map<string, RazorpayOrder>();
  const payments = new Map<string, RazorpayPayment>();
  const refunds = new Map<string, RazorpayRefund>();
  const events: DeliveredEvent[] = [];
  const sentEvents = new Map<string, string>();
  const faults = new SimulatedFaults();
  const accountId = randomId("acc");
  if (options.stateFile && existsSync(options.stateFile)) {
    const saved = JSON.parse(readFileSync(options.stateFile, "utf8")) as {
      orders: RazorpayOrder[];
      payments: RazorpayPayment[];
      refunds: RazorpayRefund[];
    };
    for (const order of saved.orders) orders.set(order.id, order);
    for (const payment of saved.payments) payments.set(payment.id, payment);
    for (const made of saved.refunds) refunds.set(made.id, made);
  }

  const errorBody = (error: RazorpayError) => ({
    error: {
      code: error.status === 500 ? "SERVER_ERROR" : "BAD_REQUEST_ERROR",
      description: error.description,
      source: error.status === 400 ? "business" : "NA",
      step: "NA",
      reason: error.status === 400 ? "input_validation_failed" : "NA",
      metadata: {},
      field: error.field,
    },
  });

  async function deliver(event: string, entities: Record<string, object>, eventId = randomId("evt")) {
    if (!options.webhookUrl) return;
    const body = JSON.stringify({
      entity: "event",
      account_id: accountId,
      event,
      contains: Object.keys(entities),
      payload: Object.fromEntries(
        Object.entries(entities).map(([name, entity]) => [name, { entity: { ...entity } }]),
      ),
      created_at: now(),
    });
    sentEvents.set(eventId, body);
    const main = Object.values(entities)[0] as { id: string };
    const record: DeliveredEvent = { id: eventId, event, entityId: main.id, status: "unreachable" };
    events.push(record);
    await post(record, body);
  }

  async function post(record: DeliveredEvent, body: string) {
    try {
      const response = await fetch(options.webhookUrl as string, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Connection: "close",
          "X-Razorpay-Signature": webhookSignature(body, options.webhookSecret),
          "X-Razorpay-Event-Id": record.id,
        },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      record.status = response.status;
      await response.body?.cancel();
    } catch {
      record.status = "unreachable";
    }
  }

  function orderOf(id: string): RazorpayOrder {
    const order = orders.get(id);
    if (!order) throw new RazorpayError(404, "The id provided does not exist");
    return order;
  }

  function paymentOf(id: string): RazorpayPayment {
    const payment = payments.get(id);
    if (!payment) throw new RazorpayError(404, "The id provided does not exist");
    return payment;
  }

  function newPayment(order: RazorpayOrder, status: RazorpayPayment["status"]): RazorpayPayment {
    const payment: RazorpayPayment = {
      id: randomId("pay"),
      entity: "payment",
      amount: order.amount_due,
      currency: order.currency,
      status,
      order_id: order.id,
      captured: false,
      amount_refunded: 0,
      refund_status: null,
      method: "upi",
      email: "customer@example.com",
      notes: {},
      error_code: null,
      error_description: null,
      created_at: now(),
    };
    payments.set(payment.id, payment);
    order.attempts++;
    if (order.status === "created") order.status = "attempted";
    return payment;
  }

  async function capture(payment: RazorpayPayment, announce: boolean) {
    payment.status = "captured";
    payment.captured = true;
    const order = orderOf(payment.order_id as string);
    order.amount_paid += payment.amount;
    order.amount_due = Math.max(0, order.amount - order.amount_paid);
    if (order.amount_due === 0) order.status = "paid";
    if (!announce) return;
    await deliver("payment.captured", { payment });
    if (order.status === "paid") await deliver("order.paid", { payment, order });
  }

  async function refund(payment: RazorpayPayment, amount: number, notes: Record<string, string>) {
    const left = payment.amount - payment.amount_refunded;
    if (payment.status !== "captured" && payment.status !== "refunded")
      throw new RazorpayError(
        400,
        "The payment has not been captured, so it cannot be refunded",
        "payment_id",
      );
    if (left <= 0) throw new RazorpayError(400, "The payment has been fully refunded already", "payment_id");
    if (amount > left)
      throw new RazorpayError(
        400,
        "The refund amount provided is greater than amount captured or already refunded",
        "amount",
      );
    const made: RazorpayRefund = {
      id: randomId("rfnd"),
      entity: "refund",
      amount,
      currency: payment.currency,
      payment_id: payment.id,
      notes,
      receipt: null,
      status: "processed",
      speed_processed: "normal",
      created_at: now(),
    };
    refunds.set(made.id, made);
    payment.amount_refunded += amount;
    payment.refund_status = payment.amount_refunded === payment.amount ? "full" : "partial";
    if (payment.refund_status === "full") payment.status = "refunded";
    // Like Razorpay, the refund is announced as it is made, before the call that made it has its answer.
    await deliver("refund.created", { refund: made, payment });
    void deliver("refund.processed", { refund: made, payment });
    return made;
  }

  const app = new Hono();
  if (options.stateFile) {
    const file = options.stateFile;
    app.use(async (c, next) => {
      await next();
      if (c.req.method !== "POST") return;
      mkdirSync(dirname(file), { recursive: true });
      const state = {
        orders: [...orders.values()],
        payments: [...payments.values()],
        refunds: [...refunds.values()],
      };
      // Whole or not at all: a stop in the middle of a write leaves the previous state.
      writeFileSync(`${file}.tmp`, JSON.stringify(state));
      renameSync(`${file}.tmp`, file);
    });
  }
  app.onError((error, c) => {
    const known = error instanceof RazorpayError ? error : new RazorpayError(500, "Simulated server error");
    return c.json(errorBody(known), known.status);
  });

  // The page's checkout.js stand-in calls the payment endpoints from the shop's origin.
  app.use("/__simulator/*", cors());
  // Razorpay serves it from checkout.razorpay.com, to anyone.
  app.get("/v1/checkout.js", async (c) =>
    c.body(await Bun.file(new URL("./checkout.js", import.meta.url)).text(), 200, {
      "Content-Type": "text/javascript; charset=utf-8",
      "Cache-Control": "no-cache",
    }),
  );

  app.use(
    "/v1/*",
    faults.middleware(() => {
      throw new RazorpayError(500, "Simulated Razorpay outage.");
    }),
  );
  app.use("/v1/*", async (c, next) => {
    const [scheme, encoded] = (c.req.header("Authorization") ?? "").split(" ");
    const [keyId, keySecret] = Buffer.from(encoded ?? "", "base64")
      .toString()
      .split(":");
    if (scheme !== "Basic" || keyId !== options.keyId || keySecret !== options.keySecret)
      throw new RazorpayError(401, "Authentication failed");
    await next();
  });

  app.post("/v1/orders", async (c) => {
    const body = await jsonBody(c);
    const amount = body.amount;
    if (typeof amount !== "number" || !Number.isInteger(amount) || amount < 100)
      throw new RazorpayError(400, "The amount must be atleast INR 1.00", "amount");
    if (typeof body.currency !== "string" || !/^[A-Za-z]{3}$/.test(body.currency))
      throw new RazorpayError(400, "The currency field is invalid.", "currency");
    if (body.receipt !== undefined && (typeof body.receipt !== "string" || body.receipt.length > 40))
      throw new RazorpayError(400, "The receipt may not be greater than 40 characters.", "receipt");
    const notes = notesOf(body.notes);
    const order: RazorpayOrder = {
      id: randomId("order"),
      entity: "order",
      amount,
      amount_paid: 0,
      amount_due: amount,
      currency: body.currency.toUpperCase(),
      receipt: (body.receipt as string | undefined) ?? null,
      status: "created",
      attempts: 0,
      notes,
      created_at: now(),
    };
    orders.set(order.id, order);
    return c.json(order);
  });
  app.get("/v1/orders/:id", (c) => c.json(orderOf(c.req.param("id"))));
  app.get("/v1/orders/:id/payments", (c) => {
    const order = orderOf(c.req.param("id"));
    return c.json(collection([...payments.values()].filter((payment) => payment.order_id === order.id)));
  });
  app.get("/v1/payments/:id", (c) => c.json(paymentOf(c.req.param("id"))));
  app.post("/v1/payments/:id/capture", async (c) => {
    const payment = paymentOf(c.req.param("id"));
    const body = await jsonBody(c);
    if (payment.status !== "authorized")
      throw new RazorpayError(400, "This payment has already been captured", "payment_id");
    if (body.amount !== payment.amount)
      throw new RazorpayError(400, "Capture amount must be equal to the amount authorized", "amount");
    if (typeof body.currency !== "string" || body.currency.toUpperCase() !== payment.currency)
      throw new RazorpayError(400, "The currency should be same as the payment currency", "currency");
    await capture(payment, true);
    return c.json(payment);
  });
  app.post("/v1/payments/:id/refund", async (c) => {
    const payment = paymentOf(c.req.param("id"));
    const body = await jsonBody(c);
    const amount = body.amount ?? payment.amount - payment.amount_refunded;
    if (typeof amount !== "number" || !Number.isInteger(amount) || amount < 100)
      throw new RazorpayError(400, "The amount must be atleast INR 1.00", "amount");
    return c.json(await refund(payment, amount, notesOf(body.notes)));
  });
  app.get("/v1/payments/:id/refunds", (c) => {
    const payment = paymentOf(c.req.param("id"));
    return c.json(collection([...refunds.values()].filter((made) => made.payment_id === payment.id)));
  });
  app.get("/v1/refunds/:id", (c) => {
    const made = refunds.get(c.req.param("id"));
    if (!made) throw new RazorpayError(404, "The id provided does not exist");
    return c.json(made);
  });

  // What Razorpay Checkout does when the customer pays: a payment of the order's amount due, captured at once
  // (`capture=manual`: only authorized, as an account without automatic capture leaves it), and the three
  // fields the browser hands the shop.
  app.post("/__simulator/orders/:id/pay", async (c) => {
    const order = orderOf(c.req.param("id"));
    if (order.status === "paid") throw new RazorpayError(400, "Order has already been paid");
    const payment = newPayment(order, "authorized");
    const announce = c.req.query("webhook") !== "false";
    if (announce) await deliver("payment.authorized", { payment });
    // With automatic capture Razorpay captures right after announcing the authorization, unless the shop did.
    if (c.req.query("capture") !== "manual" && payment.status === "authorized")
      await capture(payment, announce);
    return c.json({
      razorpay_payment_id: payment.id,
      razorpay_order_id: order.id,
      razorpay_signature: paymentSignature(order.id, payment.id, options.keySecret),
    });
  });
  app.post("/__simulator/orders/:id/fail", async (c) => {
    const payment = newPayment(orderOf(c.req.param("id")), "failed");
    payment.error_code = "BAD_REQUEST_ERROR";
    payment.error_description = "Payment failed because the bank declined it";
    await deliver("payment.failed", { payment });
    return c.json(payment);
  });
  // A refund made in Razorpay's dashboard: no notes, announced by webhook only.
  app.post("/__simulator/payments/:id/refund", async (c) => {
    const payment = paymentOf(c.req.param("id"));
    const body = await jsonBody(c);
    const amount = typeof body.amount === "number" ? body.amount : payment.amount - payment.amount_refunded;
    return c.json(await refund(payment, amount, {}));
  });
  app.post("/__simulator/refunds/:id/fail", async (c) => {
    const made = refunds.get(c.req.param("id"));
    if (!made) throw new RazorpayError(404, "The id provided does not exist");
    const payment = paymentOf(made.payment_id);
    if (made.status !== "failed") {
      made.status = "failed";
      payment.amount_refunded -= made.amount;
      payment.refund_status = payment.amount_refunded === 0 ? null : "partial";
      if (payment.status === "refunded") payment.status = "captured";
      await deliver("refund.failed", { refund: made, payment });
    }
    return c.json(made);
  });
  faults.route(app);
  app.get("/__simulator/events", (c) => c.json(events));
  // Razorpay delivers an event again (a retry) with the same X-Razorpay-Event-Id and body.
  app.post("/__simulator/webhooks/redeliver", async (c) => {
    const { id } = await jsonBody(c);
    const body = typeof id === "string" ? sentEvents.get(id) : undefined;
    const original = events.find((event) => event.id === id);
    if (!body || !original) throw new RazorpayError(404, "No such event");
    const record = { ...original, status: "unreachable" as DeliveredEvent["status"] };
    events.push(record);
    await post(record, body);
    return c.json(record);
  });
  app.post("/__simulator/webhook-url", async (c) => {
    const { url } = await jsonBody(c);
    options.webhookUrl = typeof url === "string" ? url : undefined;
    return c.json({ ok: true });
  });

  return {
    app,
    /** Where to send webhooks from now on (the app's address is often known only after the simulator's). */
    setWebhookUrl(url: string | undefined) {
      options.webhookUrl = url;
    },
    events: () => events,
    order: (id: string) => orders.get(id),
    payment: (id: string) => payments.get(id),
    refundsOf: (paymentId: string) => [...refunds.values()].filter((made) => made.payment_id === paymentId),
  };
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (!text) return {};
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed;
  } catch {}
  throw new RazorpayError(400, "The request body is not a JSON object");
}

function notesOf(notes: unknown): Record<string, string> {
  if (notes === undefined) return {};
  if (!notes || typeof notes !== "object" || Array.isArray(notes))
    throw new RazorpayError(400, "The notes field must be an object", "notes");
  const entries = Object.entries(notes);
  if (entries.length > 15) throw new RazorpayError(400, "Number of notes cannot be more than 15", "notes");
  for (const [, value] of entries)
    if (typeof value !== "string" || value.length > 256)
      throw new RazorpayError(400, "Each note must be text of at most 256 characters", "notes");
  return Object.fromEntries(entries) as Record<string, string>;
}

const collection = <T>(items: T[]) => ({ entity: "collection", count: items.length, items });
