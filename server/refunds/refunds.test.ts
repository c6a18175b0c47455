import { expect, test } from "bun:test";
import { signedWebhook, stripeEvent, usePaymentStack } from "../../tests/payment-stacks.ts";
import {
  adminToken,
  customerWithOrder,
  rawSql,
  registerCustomer,
  request,
  storeTargets,
} from "../../tests/support.ts";
import { waitFor } from "../../tests/waiting.ts";
import { createStripeClient } from "../payments/stripe-client.ts";
import { type RefundDeps, reconcileStaleAttempts, STALE_ATTEMPT_MS } from "./service.ts";

for (const target of storeTargets()) {
  target.describe(`refunds on ${target.name}`, () => {
    const stack = usePaymentStack(target, { STRIPE_TIMEOUT_MS: "1000" });
    let admin = "";
    const adminOnce = async () => {
      admin ||= await adminToken(stack.app, stack.store);
      return admin;
    };
    const refund = async (orderId: number, body: unknown = {}, token?: string) =>
      request(stack.app, "POST", `/api/v1/orders/${orderId}/refunds/`, {
        token: token ?? (await adminOnce()),
        body,
      });
    const getOrder = async (orderId: number, token: string) =>
      (await request(stack.app, "GET", `/api/v1/orders/${orderId}/`, { token })).json();
    const simulator = (path: string, body?: unknown) =>
      fetch(`${stack.simulatorUrl}/__simulator/${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const refundsAtStripe = (paymentIntentId: string) =>
      [...stack.simulator.refunds.values()].filter((refund) => refund.payment_intent === paymentIntentId);
    const deps = (): RefundDeps => ({
      config: stack.config,
      store: stack.store,
      stripe: createStripeClient(stack.config),
      razorpay: undefined,
      crm: stack.crm,
      log: (fields) => stack.logs.push(JSON.stringify(fields)),
    });

    /** A customer's order, paid at the simulator and confirmed, for `priceMinor` × 1. */
    async function paidOrder(priceMinor = 5000) {
      const { customer, order } = await customerWithOrder(stack, { priceMinor, quantity: 1 });
      const checkout = await (
        await request(stack.app, "POST", `/api/v1/orders/${order.id}/create-payment/`, {
          token: customer.token,
        })
      ).json();
      await simulator(`sessions/${checkout.session_id}/pay?webhook=false`);
      const confirmed = await request(stack.app, "POST", `/api/v1/orders/${order.id}/confirm-payment/`, {
        token: customer.token,
        body: { session_id: checkout.session_id },
      });
      expect(confirmed.status).toBe(200);
      const stored = await stack.store.findOrder(order.id);
      return {
        customer,
        order,
        sessionId: checkout.session_id as string,
        intent: stored?.paymentIntentId as string,
      };
    }

    const webhook = (type: string, object: unknown, timestamp = Math.floor(Date.now() / 1000)) =>
      signedWebhook(stack, stripeEvent(type, object, timestamp), { timestamp });

    test("an admin refunds part of a paid order, then the rest: paid, then refunded, each refund at Stripe once and in the CRM once", async () => {
      const { customer, order, intent } = await paidOrder(5000);
      const partial = await refund(order.id, { amount: "12.50", reason: "requested_by_customer" });
      expect(partial.status).toBe(201);
      const first = await partial.json();
      expect(first).toMatchObject({
        order_id: order.id,
        amount: "12.50",
        currency: "usd",
        status: "succeeded",
        reason: "requested_by_customer",
      });
      expect(first.id).toStartWith("re_test_");
      expect(await getOrder(order.id, customer.token)).toMatchObject({
        status: "paid",
        refunded_amount: "12.50",
        refunds: [{ id: first.id, amount: "12.50", status: "succeeded", reason: "requested_by_customer" }],
      });

      const rest = await (await refund(order.id)).json();
      expect(rest).toMatchObject({ amount: "37.50", status: "succeeded", reason: null });
      const refunded = await getOrder(order.id, customer.token);
      expect(refunded).toMatchObject({ status: "refunded", refunded_amount: "50.00" });
      expect(refunded.refunds.map((row: { id: string }) => row.id)).toEqual([first.id, rest.id]);
      expect(refundsAtStripe(intent).map((row) => row.amount)).toEqual([1250, 3750]);

      const again = await refund(order.id, { amount: "1.00" });
      expect(again.status).toBe(409);
      expect(await again.json()).toMatchObject({ detail: "Nothing is left to refund on this order." });

      // The simulator's refund.created and charge.refunded webhooks came too; each refund is still recorded once.
      await waitFor(async () => stack.crmStandIn.postsFor(order.id).length === 3, "three CRM events");
      const events = stack.crmStandIn.postsFor(order.id).map((post) => post.body);
      expect(events.filter((event) => event.event === "refund")).toEqual([
        expect.objectContaining({
          refund_id: first.id,
          refund_amount: "12.50",
          customer_email: customer.email,
          amount: "50.00",
        }),
        expect.objectContaining({ refund_id: rest.id, refund_amount: "37.50" }),
      ]);
      await waitFor(async () => {
        const stored = await stack.store.findOrder(order.id);
        return stored?.refunds.map((row) => row.crmSyncStatus).join() === "success,success";
      }, "both refunds recorded as sent to the CRM");
      expect(stack.crmStandIn.postsFor(order.id)).toHaveLength(3);
    });

    test("bad refunds: 403 for customers, 404 unknown order, 409 unpaid, 400 naming amount", async () => {
      const { customer, order } = await paidOrder(5000);
      expect((await refund(order.id, {}, customer.token)).status).toBe(403);
      expect((await refund(999_999_999)).status).toBe(404);
      const unpaid = await customerWithOrder(stack);
      const conflict = await refund(unpaid.order.id);
      expect(conflict.status).toBe(409);
      for (const amount of ["0", "-1.00", "1.234", "50.01", "ten", ""]) {
        const response = await refund(order.id, { amount });
        const body = await response.json();
        expect({ amount, status: response.status, fields: Object.keys(body.errors ?? {}) }).toEqual({
          amount,
          status: 400,
          fields: ["amount"],
        });
      }
      const reason = await refund(order.id, { reason: "because" });
      expect(reason.status).toBe(400);
      expect(Object.keys((await reason.json()).errors)).toEqual(["reason"]);
      expect((await stack.store.findOrder(order.id))?.refundedMinor).toBe(0);
    });

    test("20 concurrent refunds of 5.00 on a 50.00 order: exactly 10 succeed, and Stripe holds exactly 10 totalling 50.00", async () => {
      const { order, intent } = await paidOrder(5000);
      await adminOnce();
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => refund(order.id, { amount: "5.00" })),
      );
      const refused = responses.filter((response) => response.status !== 201);
      // The bodies, so that a failure says what the refused ones were told.
      const answers = await Promise.all(
        refused.map(async (response) => `${response.status} ${await response.text()}`),
      );
      expect(responses.length - refused.length).toBe(10);
      expect(answers.filter((answer) => !/^(400|409) /.test(answer))).toEqual([]);
      const atStripe = refundsAtStripe(intent);
      expect(atStripe).toHaveLength(10);
      expect(atStripe.reduce((sum, row) => sum + row.amount, 0)).toBe(5000);
      const stored = await stack.store.findOrder(order.id);
      expect(stored).toMatchObject({ status: "refunded", refundedMinor: 5000, refundReservedMinor: 0 });
    });

    test("Stripe failing or hanging: nothing refunded, the reservation released, and the retry refunds once", async () => {
      const { order, intent } = await paidOrder(3000);
      await adminOnce();
      for (const mode of ["error", "hang"] as const) {
        await simulator("faults", { mode, count: 2 });
        const failed = await refund(order.id, { amount: "10.00" });
        expect(failed.status).toBe(mode === "error" ? 502 : 503);
        const after = await stack.store.findOrder(order.id);
        expect(after).toMatchObject({ status: "paid", refundReservedMinor: 0 });
      }
      expect(refundsAtStripe(intent)).toHaveLength(0);
      const retried = await refund(order.id, { amount: "10.00" });
      expect(retried.status).toBe(201);
      expect(refundsAtStripe(intent)).toHaveLength(1);
      expect(await stack.store.findOrder(order.id)).toMatchObject({
        refundedMinor: 1000,
        refundReservedMinor: 0,
      });
    }, 20_000);

    test("a refund Stripe made while the server died before recording it is recorded once by the reconciliation pass", async () => {
      const { order, intent } = await paidOrder(4000);
      // The state a crash leaves: the attempt reserved, Stripe called with its key, the answer never written.
      const attempt = await stack.store.reserveRefund({
        orderId: order.id,
        attemptKey: crypto.randomUUID(),
        paymentIntentId: intent,
        appliesToOrder: true,
        amountMinor: 1500,
        currency: "usd",
        reason: null,
      });
      stack.simulator.sendWebhooksTo("http://127.0.0.1:9/unreachable");
      try {
        const made = await createStripeClient(stack.config)?.refunds.create(
          {
            payment_intent: intent,
            amount: 1500,
            metadata: { order_id: String(order.id), refund_attempt: attempt?.attemptKey as string },
          },
          { idempotencyKey: `refund-${attempt?.attemptKey}` },
        );
        expect(made?.status).toBe("succeeded");
      } finally {
        stack.simulator.sendWebhooksTo(`${stack.appUrl}/api/v1/payments/stripe/webhook`);
      }
      expect(await stack.store.findOrder(order.id)).toMatchObject({
        refundedMinor: 0,
        refundReservedMinor: 1500,
      });
      const later = new Date(Date.now() + STALE_ATTEMPT_MS + 1000);
      expect(await reconcileStaleAttempts(deps(), later)).toBeGreaterThanOrEqual(1);
      expect(await reconcileStaleAttempts(deps(), later)).toBe(0);
      const stored = await stack.store.findOrder(order.id);
      expect(stored).toMatchObject({ status: "paid", refundedMinor: 1500, refundReservedMinor: 0 });
      expect(stored?.refunds).toHaveLength(1);
      expect(refundsAtStripe(intent)).toHaveLength(1);
    });

    test("an attempt that never reached Stripe is released by the reconciliation pass", async () => {
      const { order, intent } = await paidOrder(4000);
      await stack.store.reserveRefund({
        orderId: order.id,
        attemptKey: crypto.randomUUID(),
        paymentIntentId: intent,
        appliesToOrder: true,
        amountMinor: 4000,
        currency: "usd",
        reason: null,
      });
      expect((await refund(order.id)).status).toBe(409);
      await reconcileStaleAttempts(deps(), new Date(Date.now() + STALE_ATTEMPT_MS + 1000));
      expect(await stack.store.findOrder(order.id)).toMatchObject({
        refundReservedMinor: 0,
        refundedMinor: 0,
      });
      expect((await refund(order.id)).status).toBe(201);
    });

    test("refunds made in Stripe's dashboard arrive by webhook, are recorded once, and a later failure gives the amount back", async () => {
      const { customer, order, intent } = await paidOrder(2000);
      const made = await (await simulator(`payment_intents/${intent}/refund`, { amount: 500 })).json();
      await waitFor(
        async () => (await stack.store.findOrder(order.id))?.refundedMinor === 500,
        "the dashboard refund recorded",
      );
      // Redelivered, and announced again through charge.refunded: nothing changes twice.
      expect((await webhook("refund.created", made)).status).toBe(200);
      expect((await webhook("refund.updated", made)).status).toBe(200);
      expect(
        (
          await webhook("charge.refunded", {
            id: made.charge,
            object: "charge",
            payment_intent: intent,
          })
        ).status,
      ).toBe(200);
      const once = await getOrder(order.id, customer.token);
      expect(once).toMatchObject({ status: "paid", refunded_amount: "5.00" });
      expect(once.refunds).toEqual([
        expect.objectContaining({ id: made.id, amount: "5.00", status: "succeeded" }),
      ]);

      await simulator(`refunds/${made.id}/fail`);
      await waitFor(
        async () => (await stack.store.findOrder(order.id))?.refundedMinor === 0,
        "the failed refund given back",
      );
      expect((await webhook("refund.updated", { ...made, status: "succeeded" })).status).toBe(200);
      const failed = await getOrder(order.id, customer.token);
      expect(failed).toMatchObject({ status: "paid", refunded_amount: "0.00" });
      expect(failed.refunds).toEqual([expect.objectContaining({ id: made.id, status: "failed" })]);
    });

    test("refund webhooks with a bad or stale signature change nothing", async () => {
      const { order, intent } = await paidOrder(2000);
      const forged = {
        id: `re_test_forged_${crypto.randomUUID().slice(0, 8)}`,
        object: "refund",
        amount: 2000,
        currency: "usd",
        created: Math.floor(Date.now() / 1000),
        payment_intent: intent,
        metadata: {},
        reason: null,
        status: "succeeded",
      };
      const bad = await signedWebhook(stack, stripeEvent("refund.created", forged), {
        secret: "whsec_not_ours",
      });
      expect(bad.status).toBe(400);
      const stale = await webhook("refund.created", forged, Math.floor(Date.now() / 1000) - 3600);
      expect(stale.status).toBe(400);
      expect(await stack.store.findOrder(order.id)).toMatchObject({
        status: "paid",
        refundedMinor: 0,
        refundCount: 0,
      });
    });

    test("the summary and the sales report count refunds, equal to SQL over orders and refunds", async () => {
      const { order } = await paidOrder(8000);
      await refund(order.id, { amount: "30.00" });
      const summary = await (
        await request(stack.app, "GET", "/api/v1/reports/summary/", { token: await adminOnce() })
      ).json();
      const sql = await rawSql(stack.config.DATABASE_URL);
      const [gross] = await sql.all<{ amount: number }>(
        "SELECT COALESCE(SUM(amount_minor), 0) AS amount FROM orders WHERE currency = 'usd' AND status IN ('paid', 'refunded')",
      );
      const [refunded] = await sql.all<{ amount: number }>(
        "SELECT COALESCE(SUM(r.amount_minor), 0) AS amount FROM refunds r JOIN orders o ON o.id = r.order_id WHERE r.currency = 'usd' AND r.status = 'succeeded' AND r.applies_to_order = ? AND o.status IN ('paid', 'refunded')",
        [true],
      );
      const [cancelled] = await sql.all<{ n: number }>(
        "SELECT COUNT(*) AS n FROM orders WHERE status = 'cancelled'",
      );
      await sql.close();
      const cents = (text: string) => Math.round(Number(text) * 100);
      expect(cents(summary.gross_revenue)).toBe(Number(gross?.amount));
      expect(cents(summary.refunded_revenue)).toBe(Number(refunded?.amount));
      expect(cents(summary.total_revenue)).toBe(Number(gross?.amount) - Number(refunded?.amount));
      expect(summary.cancelled_orders).toBe(Number(cancelled?.n));

      const today = new Date().toISOString().slice(0, 10);
      const sales = await (
        await request(stack.app, "GET", `/api/v1/reports/sales/?from=${today}&to=${today}&tz=UTC`, {
          token: await adminOnce(),
        })
      ).json();
      expect(cents(sales.totals.refunds)).toBeGreaterThanOrEqual(3000);
      expect(cents(sales.totals.net)).toBe(cents(sales.totals.revenue) - cents(sales.totals.refunds));
    });

    test("a customer never refunds: the endpoint is for admins, and the order JSON shows refunds to its owner", async () => {
      const customer = await registerCustomer(stack.app);
      expect((await refund(1, {}, customer.token)).status).toBe(403);
      expect((await request(stack.app, "POST", "/api/v1/orders/1/refunds/", { body: {} })).status).toBe(401);
    });
  });
}
