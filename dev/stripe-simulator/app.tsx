import { type Context, Hono } from "hono";
import Stripe from "stripe";
import { formatMinor } from "../../server/shared/money.ts";
import { parseStripeForm } from "./form.ts";
import { buildSession, type CheckoutSession, StripeInputError } from "./sessions.ts";

export interface SimulatorOptions {
  /** Where checkout.session.* events are posted; none are sent when unset. */
  webhookUrl?: string;
  webhookSecret: string;
  now?: () => number;
}

export interface DeliveredEvent {
  id: string;
  type: string;
  sessionId: string;
  status: number | "unreachable";
  /** Why the delivery failed, when it was unreachable. */
  error?: string;
}

type Fault = { mode: "error" | "hang"; remaining: number };

const randomId = (prefix: string) => `${prefix}_test_${crypto.randomUUID().replace(/-/g, "")}`;

/**
 * A stand-in for the part of Stripe's API that this app uses, so the real `stripe` SDK runs against it:
 * Checkout Sessions (create, retrieve, expire) with Stripe's form encoding, errors and Idempotency-Key
 * replay, a hosted checkout page with Pay / Decline / Cancel, and signed webhooks.
 */
export function createStripeSimulator(options: SimulatorOptions) {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const sessions = new Map<string, CheckoutSession>();
  const idempotency = new Map<string, { request: string; status: number; body: unknown }>();
  const events: DeliveredEvent[] = [];
  let fault: Fault | undefined;
  // Only for its webhook-signing helper; it never calls an API.
  const signer = new Stripe("sk_test_simulator_signing_only");

  const stripeError = (c: Context, status: 400 | 401 | 404 | 500, message: string, extra: object = {}) =>
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

  async function deliver(type: string, session: CheckoutSession): Promise<void> {
    if (!options.webhookUrl) return;
    const event = {
      id: randomId("evt"),
      object: "event",
      api_version: "2025-01-27.acacia",
      created: now(),
      data: { object: { ...session } },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    const payload = JSON.stringify(event);
    const record: DeliveredEvent = { id: event.id, type, sessionId: session.id, status: "unreachable" };
    events.push(record);
    try {
      const response = await fetch(options.webhookUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
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
    return session;
  }

  const app = new Hono();

  app.use("/v1/*", async (c, next) => {
    if (fault) {
      fault.remaining--;
      const { mode } = fault;
      if (fault.remaining <= 0) fault = undefined;
      if (mode === "hang") await new Promise((resolve) => setTimeout(resolve, 60_000));
      return stripeError(c, 500, "Simulated Stripe outage.");
    }
    const key = /^Bearer (\S+)$/.exec(c.req.header("Authorization") ?? "")?.[1];
    if (!key?.startsWith("sk_test_")) {
      return stripeError(c, 401, "Invalid API Key provided. The simulator accepts test keys (sk_test_...).");
    }
    await next();
  });

  app.post("/v1/checkout/sessions", async (c) => {
    const raw = await c.req.text();
    const key = c.req.header("Idempotency-Key");
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
    let status: 200 | 400 = 200;
    let body: unknown;
    try {
      const session = buildSession(parseStripeForm(raw), randomId("cs"), now(), new URL(c.req.url).origin);
      sessions.set(session.id, session);
      body = session;
    } catch (error) {
      if (!(error instanceof StripeInputError)) throw error;
      status = 400;
      body = {
        error: {
          type: "invalid_request_error",
          message: error.message,
          param: error.param,
          code: error.code,
        },
      };
    }
    if (key) idempotency.set(key, { request: raw, status, body });
    return c.json(body, status);
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
  app.post("/__simulator/faults", async (c) => {
    const body = (await c.req.json()) as { mode: Fault["mode"]; count?: number };
    fault = { mode: body.mode, remaining: body.count ?? 1 };
    return c.json({ ok: true });
  });
  app.get("/__simulator/events", (c) => c.json(events));

  app.notFound((c) => stripeError(c, 404, `Unrecognized request URL (${c.req.method}: ${c.req.path}).`));

  return {
    app,
    sessions,
    events,
    /** Where to send webhooks from now on (the app's address is often known only after the simulator's). */
    sendWebhooksTo(url: string | undefined) {
      options.webhookUrl = url;
    },
  };
}

function CheckoutPage({ session, notice }: { session: CheckoutSession; notice?: string }) {
  const total = `${formatMinor(session.amount_total, session.currency)} ${session.currency.toUpperCase()}`;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Checkout (simulated)</title>
        <style>{`body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
.banner{background:#fff3cd;border:1px solid #b58900;padding:.5rem .75rem;border-radius:.4rem}
.notice{color:#a40000;font-weight:600}button{font:inherit;padding:.6rem 1rem;margin:.25rem .25rem 0 0;border-radius:.4rem;border:1px solid #333;cursor:pointer}
button.pay{background:#1b5e20;color:#fff;border-color:#1b5e20}button:focus-visible{outline:3px solid #1565c0;outline-offset:2px}`}</style>
      </head>
      <body>
        <p class="banner" role="note">
          Stripe simulator: no real card is charged.
        </p>
        <h1>Pay {total}</h1>
        <ul>
          {session.line_items_summary.map((item) => (
            <li>
              {item.quantity} × {item.name}
            </li>
          ))}
        </ul>
        {session.customer_email && <p>Receipt to {session.customer_email}</p>}
        {notice && (
          <p class="notice" role="alert">
            {notice}
          </p>
        )}
        {session.status === "open" ? (
          <div>
            <form method="post" action={`/checkout/${session.id}/pay`} style="display:inline">
              <button class="pay" type="submit">
                Pay {total}
              </button>
            </form>
            <form method="post" action={`/checkout/${session.id}/decline`} style="display:inline">
              <button type="submit">Decline card</button>
            </form>
            <form method="post" action={`/checkout/${session.id}/cancel`} style="display:inline">
              <button type="submit">Cancel</button>
            </form>
          </div>
        ) : (
          <p role="status">This checkout session is {session.status}.</p>
        )}
      </body>
    </html>
  );
}
