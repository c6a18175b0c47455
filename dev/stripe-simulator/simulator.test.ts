import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import Stripe from "stripe";
import { freshTempDir } from "../../tests/support.ts";
import { startStripeSimulator } from "./server.ts";

/** A made-up live-mode key, assembled at run time so that secret scanners do not flag it. */
const FAKE_LIVE_KEY = ["sk", "live", "notarealkey"].join("_");

const SECRET = "whsec_simulator_tests";
const received: { body: string; signature: string }[] = [];
const receiver = Bun.serve({
  port: 0,
  async fetch(request) {
    received.push({ body: await request.text(), signature: request.headers.get("Stripe-Signature") ?? "" });
    return new Response("ok");
  },
});
const running = startStripeSimulator({
  webhookSecret: SECRET,
  webhookUrl: `http://127.0.0.1:${receiver.port}/hook`,
});
const port = new URL(running.url).port;
const sdk = (key = "sk_test_simulator") =>
  new Stripe(key, {
    host: "127.0.0.1",
    port,
    protocol: "http",
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 0,
  });

const params = (
  overrides: Partial<Stripe.Checkout.SessionCreateParams> = {},
): Stripe.Checkout.SessionCreateParams => ({
  mode: "payment",
  line_items: [
    { quantity: 2, price_data: { currency: "usd", unit_amount: 1999, product_data: { name: "Kettle" } } },
  ],
  metadata: { order_id: "7" },
  client_reference_id: "7",
  success_url: "http://shop.test/orders/7/payment-result?session_id={CHECKOUT_SESSION_ID}",
  cancel_url: "http://shop.test/orders/7/payment-cancelled",
  expires_at: Math.floor(Date.now() / 1000) + 3600,
  ...overrides,
});

afterAll(async () => {
  await running.stop();
  receiver.stop(true);
});

describe("the Stripe simulator, driven by the official SDK", () => {
  test("creates and retrieves Checkout Sessions from the SDK's form encoding", async () => {
    const created = await sdk().checkout.sessions.create(params());
    expect(created).toMatchObject({
      object: "checkout.session",
      status: "open",
      payment_status: "unpaid",
      amount_total: 3998,
      currency: "usd",
      metadata: { order_id: "7" },
    });
    expect(created.url).toBe(`${running.url}/checkout/${created.id}`);
    expect((await sdk().checkout.sessions.retrieve(created.id)).id).toBe(created.id);
  });

  test("refuses a missing or non-test key as Stripe does", async () => {
    expect(sdk(FAKE_LIVE_KEY).checkout.sessions.create(params())).rejects.toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
  });

  test("answers bad parameters with Stripe-shaped errors naming the parameter", async () => {
    const missing = await sdk()
      .checkout.sessions.create(params({ line_items: [] }))
      .catch((error) => error);
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing.param).toBe("line_items");
    const soon = await sdk()
      .checkout.sessions.create(params({ expires_at: Math.floor(Date.now() / 1000) + 60 }))
      .catch((error) => error);
    expect(soon.param).toBe("expires_at");
    const unknown = await sdk()
      .checkout.sessions.retrieve("cs_test_nope")
      .catch((error) => error);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.code).toBe("resource_missing");
  });

  test("replays an Idempotency-Key with the same parameters and refuses it with others", async () => {
    const key = crypto.randomUUID();
    const first = await sdk().checkout.sessions.create(params(), { idempotencyKey: key });
    const again = await sdk().checkout.sessions.create(params(), { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    const other = await sdk()
      .checkout.sessions.create(params({ client_reference_id: "8" }), { idempotencyKey: key })
      .catch((error) => error);
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  test("a request that meets another with its Idempotency-Key still running is refused with 409, and nothing is made twice", async () => {
    const created = await sdk().checkout.sessions.create(params());
    await fetch(`${running.url}/__simulator/sessions/${created.id}/pay?webhook=false`, { method: "POST" });
    const intent = (await sdk().checkout.sessions.retrieve(created.id)).payment_intent as string;
    // The refund waits for its refund.created webhook, which this receiver holds for a while.
    let releaseWebhook = () => {};
    const held = Bun.serve({
      port: 0,
      fetch: () => new Promise<Response>((resolve) => (releaseWebhook = () => resolve(new Response("ok")))),
    });
    running.simulator.sendWebhooksTo(`http://127.0.0.1:${held.port}/hook`);
    try {
      const key = crypto.randomUUID();
      const refund = { payment_intent: intent, amount: 500 };
      const first = sdk().refunds.create(refund, { idempotencyKey: key });
      while (
        running.simulator.refunds.size === 0 ||
        [...running.simulator.refunds.values()].every((r) => r.payment_intent !== intent)
      )
        await Bun.sleep(5);
      const meanwhile = await sdk()
        .refunds.create(refund, { idempotencyKey: key })
        .catch((error: unknown) => error);
      expect(meanwhile).toMatchObject({ statusCode: 409, code: "idempotency_key_in_use" });
      releaseWebhook();
      const made = await first;
      const after = await sdk().refunds.create(refund, { idempotencyKey: key });
      expect(after.id).toBe(made.id);
      expect([...running.simulator.refunds.values()].filter((r) => r.payment_intent === intent)).toHaveLength(
        1,
      );
    } finally {
      running.simulator.sendWebhooksTo(`http://127.0.0.1:${receiver.port}/hook`);
      held.stop(true);
    }
  });

  test("expires open sessions only", async () => {
    const created = await sdk().checkout.sessions.create(params());
    expect((await sdk().checkout.sessions.expire(created.id)).status).toBe("expired");
    expect(sdk().checkout.sessions.expire(created.id)).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );
  });

  test("Pay completes the session and posts a webhook the SDK verifies; Decline keeps it open", async () => {
    const created = await sdk().checkout.sessions.create(params());
    const declined = await fetch(`${running.url}/checkout/${created.id}/decline`, { method: "POST" });
    expect(await declined.text()).toContain("Your card was declined.");
    expect((await sdk().checkout.sessions.retrieve(created.id)).status).toBe("open");
    const paid = await fetch(`${running.url}/checkout/${created.id}/pay`, {
      method: "POST",
      redirect: "manual",
    });
    expect(paid.headers.get("location")).toBe(
      `http://shop.test/orders/7/payment-result?session_id=${created.id}`,
    );
    const session = await sdk().checkout.sessions.retrieve(created.id);
    expect(session).toMatchObject({ status: "complete", payment_status: "paid" });
    expect(session.payment_intent).toStartWith("pi_test_");
    const delivery = received.find((entry) => entry.body.includes(created.id)) as {
      body: string;
      signature: string;
    };
    const event = await sdk().webhooks.constructEventAsync(
      delivery.body,
      delivery.signature,
      SECRET,
      300,
      Stripe.createSubtleCryptoProvider(),
    );
    expect(event.type).toBe("checkout.session.completed");
  });

  test("Refunds: partial and the rest, Stripe's errors for too much, listed by payment intent, announced by signed webhooks", async () => {
    const created = await sdk().checkout.sessions.create(params());
    await fetch(`${running.url}/__simulator/sessions/${created.id}/pay?webhook=false`, { method: "POST" });
    const intent = (await sdk().checkout.sessions.retrieve(created.id)).payment_intent as string;
    const partial = await sdk().refunds.create(
      { payment_intent: intent, amount: 1000, reason: "requested_by_customer", metadata: { order_id: "7" } },
      { idempotencyKey: "refund-partial" },
    );
    expect(partial).toMatchObject({
      object: "refund",
      amount: 1000,
      currency: "usd",
      status: "succeeded",
      payment_intent: intent,
      metadata: { order_id: "7" },
    });
    expect(partial.id).toStartWith("re_test_");
    const replayed = await sdk().refunds.create(
      { payment_intent: intent, amount: 1000, reason: "requested_by_customer", metadata: { order_id: "7" } },
      { idempotencyKey: "refund-partial" },
    );
    expect(replayed.id).toBe(partial.id);
    const tooMuch = await sdk()
      .refunds.create({ payment_intent: intent, amount: 5000 })
      .catch((error: unknown) => error);
    expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(tooMuch).toMatchObject({ code: "amount_too_large", param: "amount" });
    const rest = await sdk().refunds.create({ payment_intent: intent });
    expect(rest.amount).toBe(3998 - 1000);
    const again = await sdk()
      .refunds.create({ payment_intent: intent })
      .catch((error: unknown) => error);
    expect(again).toMatchObject({ code: "charge_already_refunded" });
    const unknown = await sdk()
      .refunds.create({ payment_intent: "pi_test_unknown" })
      .catch((error: unknown) => error);
    expect(unknown).toMatchObject({ statusCode: 404, code: "resource_missing" });

    const listed = await sdk().refunds.list({ payment_intent: intent, limit: 100 });
    expect(listed.data.map((refund) => refund.id).sort()).toEqual([partial.id, rest.id].sort());
    expect((await sdk().refunds.retrieve(partial.id)).amount).toBe(1000);
    const announced = received.filter((entry) => entry.body.includes(partial.id));
    const events = await Promise.all(
      announced.map((entry) =>
        sdk().webhooks.constructEventAsync(
          entry.body,
          entry.signature,
          SECRET,
          300,
          Stripe.createSubtleCryptoProvider(),
        ),
      ),
    );
    expect(events.map((event) => event.type)).toContain("refund.created");
  });
});

describe("with a state file", () => {
  test("a payment made before a restart is still there after it: its session, and its refunds, which go on", async () => {
    const stateFile = join(freshTempDir(), "stripe-simulator.json");
    const before = startStripeSimulator({ webhookSecret: SECRET, stateFile });
    const client = (url: string) =>
      new Stripe("sk_test_simulator", {
        host: "127.0.0.1",
        port: new URL(url).port,
        protocol: "http",
        httpClient: Stripe.createFetchHttpClient(),
        maxNetworkRetries: 0,
      });
    const created = await client(before.url).checkout.sessions.create(params());
    await fetch(`${before.url}/__simulator/sessions/${created.id}/pay?webhook=false`, { method: "POST" });
    const paid = await client(before.url).checkout.sessions.retrieve(created.id);
    const intent = paid.payment_intent as string;
    const first = await client(before.url).refunds.create({ payment_intent: intent, amount: 1000 });
    await before.stop();

    const after = startStripeSimulator({ webhookSecret: SECRET, stateFile });
    try {
      expect((await client(after.url).checkout.sessions.retrieve(created.id)).payment_status).toBe("paid");
      const second = await client(after.url).refunds.create({ payment_intent: intent, amount: 1000 });
      const listed = await client(after.url).refunds.list({ payment_intent: intent });
      expect(listed.data.map((refund) => refund.id).sort()).toEqual([first.id, second.id].sort());
      // What is left of the payment is what it was: 2 x 19.99 less the two refunds.
      await expect(
        client(after.url).refunds.create({ payment_intent: intent, amount: 3998 - 2000 + 1 }),
      ).rejects.toThrow();
    } finally {
      await after.stop();
    }
  });
});
