import { type Context, Hono } from "hono";
import Stripe from "stripe";
import { textAssetRoutes } from "../../server/http/text-assets.ts";
import { SimulatedFaults } from "../simulator-faults.ts";
import { CHECKOUT_STYLESHEET, CheckoutPage } from "./checkout-page.tsx";
import { parseStripeForm } from "./form.ts";
import {
  buildRefund,
  chargeOf,
  type PaymentIntent,
  type Refund,
  StripeNotFoundError,
  unrefunded,
} from "./refunds.ts";
import { buildSession, type CheckoutSession, StripeInputError } from "./sessions.ts";
import { loadState, saveState } from "./state.ts";

export interface SimulatorOptions {
  /** Where checkout.session.*, refund.* and charge.refunded events are posted; none are sent when unset. */
  webhookUrl?: string;
  webhookSecret: string;
  now?: () => number;
  /**
   * A JSON file that keeps the sessions, payment intents, refunds and Idempotency-Key replays across restarts
   * (`bun run dev` keeps it beside the development database), so a payment made before a restart can still be
   * refunded after it, as at Stripe.
   */
  stateFile?: string;
}

export interface DeliveredEvent {
  id: string;
  type: string;
  /** The event's object: a checkout session, refund or charge id. */
  objectId: string;
  status: number | "unreachable";
  /** Why the delivery failed, when it was unreachable. */
  error?: string;
}

const randomId = (prefix: string) => `${prefix}_test_${crypto.randomUUID().replace(/-/g, "")}`;

/**
 * A stand-in for the part of Stripe's API that this app uses, so the real `stripe` SDK runs against it:
 * Checkout Sessions (create, retrieve, expire) and Refunds (create, retrieve, list by payment intent) with
 * Stripe's form encoding, errors and Idempotency-Key replay, a hosted checkout page with Pay / Decline /
 * Cancel, and signed webhooks. Like Stripe, it announces a refund (refund.created) before the API call that
 * made it has returned.
 */
export function createStripeSimulator(options: SimulatorOptions) {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const sessions = new Map<string, CheckoutSession>();
  const intents = new Map<string, PaymentIntent>();
  const refunds = new Map<string, Refund>();
  const idempotency = new Map<string, { request: string; status: number; body: unknown }>();
  const inFlight = new Set<string>();
  const events: DeliveredEvent[] = [];
  const eventObjects = new Map<string, { type: string; object: { id: string } }>();
  const faults = new SimulatedFaults();
  if (options.stateFile) loadState(options.stateFile, { sessions, intents, refunds, idempotency });
  // Only for its webhook-signing helper; it never calls an API.
  const signer = new Stripe("sk_test_simulator_signing_only");

  const stripeError = (
    c: Context,
    status: 400 | 401 | 404 | 409 | 500,
    message: string,
    extra: object = {},
  ) =>
    c.json(
      { error: { type: status === 500 ? "api_error" : "invalid_request_error", message, ...extra } },
      status,
    );

  function currentState(session: CheckoutSession): CheckoutSession {
    if (session.status === "open" && session.expires_at <= now()) {
      session.status = "expired";
      session.url = null;
      void deliver("checkout.session.expired", session);
    }
    return session;
  }

  async function deliver(type: string, object: { id: string }, eventId = randomId("evt")): Promise<void> {
    if (!options.webhookUrl) return;
    const event = {
      id: eventId,
      object: "event",
      api_version: "2025-01-27.acacia",
      created: now(),
      data: { object: { ...object } },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    const payload = JSON.stringify(event);
    const record: DeliveredEvent = { id: event.id, type, objectId: object.id, status: "unreachable" };
    events.push(record);
    eventObjects.set(event.id, { type, object: event.data.object });
    try {
      const response = await fetch(options.webhookUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          // Each webhook on a connection of its own, as Stripe's arrive: a pooled keep-alive connection that the
          // app's server closed for idleness just as a delivery reused it failed that delivery (ECONNRESET; the
          // load test saw three at once on a busy machine).
          Connection: "close",
          // Signed by the official SDK's own helper, exactly as Stripe signs.
          "Stripe-Signature": await signer.webhooks.generateTestHeaderStringAsync({
            payload,
            secret: options.webhookSecret,
            timestamp: now(),
            cryptoProvider: Stripe.createSubtleCryptoProvider(),
          }),
        },
        body: payload,
        signal: AbortSignal.timeout(10_000),
      });
      record.status = response.status;
      await response.body?.cancel();
    } catch (error) {
      record.status = "unreachable";
      record.error = String(error);
    }
  }

  function pay(session: CheckoutSession): CheckoutSession {
    session.status = "complete";
    session.payment_status = "paid";
    session.payment_intent = randomId("pi");
    session.url = null;
    intents.set(session.payment_intent, {
      id: session.payment_intent,
      charge: randomId("ch"),
      amount: session.amount_total,
      currency: session.currency,
      refunds: [],
    });
    return session;
  }

  /** Stripe's own order of events for a new refund: refund.created, then charge.refunded once it succeeded. */
  async function announceRefund(refund: Refund) {
    await deliver("refund.created", refund);
    const intent = intents.get(refund.payment_intent);
    if (intent && refund.status === "succeeded") void deliver("charge.refunded", chargeOf(intent));
  }

  /** Runs a create request once per Idempotency-Key; a reuse replays the first answer, errors included. */
  async function idempotent(
    c: Context,
    raw: string,
    create: () => Promise<{ status: 200 | 400 | 404; body: unknown }>,
  ) {
    const key = c.req.header("Idempotency-Key");
    // Stripe saves nothing for a request that meets another with its key still running, and answers 409.
    if (key && inFlight.has(key)) {
      return stripeError(
        c,
        409,
        "There is currently another in-progress request using this idempotency key. Try again later.",
        { code: "idempotency_key_in_use" },
      );
    }
    const previous = key ? idempotency.get(key) : undefined;
    if (previous) {
      if (previous.request !== raw) {
        return stripeError(
          c,
          400,
          `Keys for idempotent requests can only be used with the same parameters they were first used with.`,
          { type: "idempotency_error" },
        );
      }
      c.header("Idempotent-Replayed", "true");
      return c.json(previous.body, previous.status as 200);
    }
    if (key) inFlight.add(key);
    try {
      const { status, body } = await create();
      if (key) idempotency.set(key, { request: raw, status, body });
      return c.json(body, status);
    } finally {
      if (key) inFlight.delete(key);
    }
  }

  const inputError = (error: StripeInputError) => ({
    status: 400 as const,
    body: {
      error: { type: "invalid_request_error", message: error.message, param: error.param, code: error.code },
    },
  });

  const app = new Hono();
  if (options.stateFile) {
    const file = options.stateFile;
    app.use(async (c, next) => {
      await next();
      if (c.req.method !== "GET") saveState(file, { sessions, intents, refunds, idempotency });
    });
  }
  app.route("/", textAssetRoutes([CHECKOUT_STYLESHEET]));

  app.use(
    "/v1/*",
    faults.middleware((c) => stripeError(c, 500, "Simulated Stripe outage.")),
  );
  app.use("/v1/*", async (c, next) => {
    const key = /^Bearer (\S+)$/.exec(c.req.header("Authorization") ?? "")?.[1];
    if (!key?.startsWith("sk_test_")) {
      return stripeError(c, 401, "Invalid API Key provided. The simulator accepts test keys (sk_test_...).");
    }
    await next();
  });

  app.post("/v1/checkout/sessions", async (c) => {
    const raw = await c.req.text();
    return idempotent(c, raw, async () => {
      try {
        const session = buildSession(parseStripeForm(raw), randomId("cs"), now(), new URL(c.req.url).origin);
        sessions.set(session.id, session);
        return { status: 200, body: session };
      } catch (error) {
        if (!(error instanceof StripeInputError)) throw error;
        return inputError(error);
      }
    });
  });

  app.post("/v1/refunds", async (c) => {
    const raw = await c.req.text();
    return idempotent(c, raw, async () => {
      try {
        const refund = buildRefund(parseStripeForm(raw), intents, randomId("re"), now());
        refunds.set(refund.id, refund);
        intents.get(refund.payment_intent)?.refunds.push(refund);
        await announceRefund(refund);
        return { status: 200, body: refund };
      } catch (error) {
        if (error instanceof StripeNotFoundError) {
          return {
            status: 404,
            body: {
              error: {
                type: "invalid_request_error",
                message: error.message,
                param: "payment_intent",
                code: "resource_missing",
              },
            },
          };
        }
        if (!(error instanceof StripeInputError)) throw error;
        return inputError(error);
      }
    });
  });

  app.get("/v1/refunds/:id", (c) => {
    const refund = refunds.get(c.req.param("id"));
    if (!refund) {
      return stripeError(c, 404, `No such refund: '${c.req.param("id")}'`, {
        code: "resource_missing",
        param: "id",
      });
    }
    return c.json(refund);
  });

  app.get("/v1/refunds", (c) => {
    const intentId = c.req.query("payment_intent");
    const limit = Math.min(100, Math.max(1, Number(c.req.query("limit") ?? 10) || 10));
    const all = [...refunds.values()]
      .filter((refund) => !intentId || refund.payment_intent === intentId)
      .sort((a, b) => b.created - a.created);
    return c.json({
      object: "list",
      data: all.slice(0, limit),
      has_more: all.length > limit,
      url: "/v1/refunds",
    });
  });

  app.get("/v1/checkout/sessions/:id", (c) => {
    const session = sessions.get(c.req.param("id"));
    if (!session) {
      return stripeError(c, 404, `No such checkout.session: '${c.req.param("id")}'`, {
        code: "resource_missing",
        param: "session",
      });
    }
    return c.json(currentState(session));
  });

  app.post("/v1/checkout/sessions/:id/expire", (c) => {
    const session = sessions.get(c.req.param("id"));
    if (!session)
      return stripeError(c, 404, `No such checkout.session: '${c.req.param("id")}'`, {
        code: "resource_missing",
      });
    if (currentState(session).status !== "open") {
      return stripeError(c, 400, `Only Checkout Sessions with a status in ["open"] can be expired.`);
    }
    session.status = "expired";
    session.url = null;
    void deliver("checkout.session.expired", session);
    return c.json(session);
  });

  const page = (c: Context, session: CheckoutSession, notice?: string) =>
    c.html(<CheckoutPage session={session} notice={notice} />, notice ? 402 : 200);

  app.get("/checkout/:id", (c) => {
    const session = sessions.get(c.req.param("id"));
    if (!session) return c.text("No such checkout session.", 404);
    return page(c, currentState(session));
  });

  app.post("/checkout/:id/:action{pay|decline|cancel}", async (c) => {
    const session = sessions.get(c.req.param("id"));
    if (!session) return c.text("No such checkout session.", 404);
    const action = c.req.param("action");
    if (action === "cancel") return c.redirect(session.cancel_url ?? session.success_url, 303);
    if (currentState(session).status === "expired") return page(c, session);
    if (action === "decline") return page(c, session, "Your card was declined. Try another card.");
    if (session.status === "open") {
      pay(session);
      await deliver("checkout.session.completed", session);
    }
    return c.redirect(session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id), 303);
  });

  // Controls for tests and scripted runs; nothing like these exists on Stripe.
  app.post("/__simulator/sessions/:id/pay", async (c) => {
    const session = sessions.get(c.req.param("id"));
    if (!session || currentState(session).status !== "open")
      return c.json({ error: "not an open session" }, 409);
    pay(session);
    if (c.req.query("webhook") !== "false") await deliver("checkout.session.completed", session);
    return c.json(session);
  });
  app.post("/__simulator/sessions/:id/age", (c) => {
    const session = sessions.get(c.req.param("id"));
    if (!session) return c.json({ error: "no such session" }, 404);
    session.expires_at = now() - 1;
    return c.json(currentState(session));
  });
  faults.route(app);
  app.get("/__simulator/events", (c) => c.json(events));
  // Stripe retries a failed delivery for days; this sends every event whose last delivery failed once more now.
  app.post("/__simulator/webhooks/redeliver", async (c) => {
    const failed = [...new Map(events.map((event) => [event.id, event])).values()].filter(
      (event) => event.status === "unreachable" || event.status >= 300,
    );
    for (const event of failed) {
      const original = eventObjects.get(event.id);
      if (original) await deliver(original.type, original.object, event.id);
    }
    return c.json({ redelivered: failed.map((event) => event.id) });
  });
  // A refund made in Stripe's dashboard: no metadata, announced by webhook only.
  app.post("/__simulator/payment_intents/:id/refund", async (c) => {
    const intent = intents.get(c.req.param("id"));
    if (!intent) return c.json({ error: "no such payment intent" }, 404);
    const body = (await c.req.json().catch(() => ({}))) as { amount?: number };
    const amount = body.amount ?? unrefunded(intent);
    if (amount < 1 || amount > unrefunded(intent)) return c.json({ error: "amount out of range" }, 400);
    const refund: Refund = {
      id: randomId("re"),
      object: "refund",
      amount,
      charge: intent.charge,
      created: now(),
      currency: intent.currency,
      metadata: {},
      payment_intent: intent.id,
      reason: "requested_by_customer",
      status: "succeeded",
    };
    refunds.set(refund.id, refund);
    intent.refunds.push(refund);
    await announceRefund(refund);
    return c.json(refund);
  });
  // A refund that the bank later rejects: Stripe marks it failed and says so by refund.failed.
  app.post("/__simulator/refunds/:id/fail", async (c) => {
    const refund = refunds.get(c.req.param("id"));
    if (!refund) return c.json({ error: "no such refund" }, 404);
    refund.status = "failed";
    refund.failure_reason = "lost_or_stolen_card";
    await deliver("refund.failed", refund);
    return c.json(refund);
  });

  app.notFound((c) => stripeError(c, 404, `Unrecognized request URL (${c.req.method}: ${c.req.path}).`));

  return {
    app,
    sessions,
    intents,
    refunds,
    events,
    /** Where to send webhooks from now on (the app's address is often known only after the simulator's). */
    sendWebhooksTo(url: string | undefined) {
      options.webhookUrl = url;
    },
  };
}
