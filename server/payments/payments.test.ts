import { describe, expect, test } from "bun:test";
import Stripe from "stripe";
import {
  signedWebhook,
  stripeEvent,
  TEST_WEBHOOK_SECRET,
  usePaymentStack,
  webhookSigner,
} from "../../tests/payment-stacks.ts";
import { customerWithOrder, registerCustomer, request, storeTargets } from "../../tests/support.ts";

for (const target of storeTargets()) {
  target.describe(`payments on ${target.name}`, () => {
    const stack = usePaymentStack(target);

    const createPayment = (orderId: number, token: string) =>
      request(stack.app, "POST", `/api/v1/orders/${orderId}/create-payment/`, { token });
    const confirm = (orderId: number, token: string, body?: unknown) =>
      request(stack.app, "POST", `/api/v1/orders/${orderId}/confirm-payment/`, { token, body });
    const payOnSimulator = async (sessionId: string, webhook = false) => {
      const response = await fetch(
        `${stack.simulatorUrl}/__simulator/sessions/${sessionId}/pay?webhook=${webhook}`,
        {
          method: "POST",
        },
      );
      expect(response.status).toBe(200);
      return response.json() as Promise<Record<string, unknown>>;
    };
    const getOrder = async (orderId: number, token: string) =>
      (await request(stack.app, "GET", `/api/v1/orders/${orderId}/`, { token })).json();

    test("create-payment opens a Checkout Session built from the order in the database", async () => {
      const { customer, product, order } = await customerWithOrder(stack, { priceMinor: 1999, quantity: 2 });
      const response = await createPayment(order.id, customer.token);
      expect(response.status).toBe(201);
      const checkout = await response.json();
      expect(checkout).toMatchObject({ order_id: order.id, reused: false });
      expect(checkout.session_id).toStartWith("cs_test_");
      expect(checkout.checkout_url).toBe(`${stack.simulatorUrl}/checkout/${checkout.session_id}`);
      const session = stack.simulator.sessions.get(checkout.session_id);
      expect(session).toMatchObject({
        mode: "payment",
        amount_total: 3998,
        currency: "usd",
        client_reference_id: String(order.id),
        metadata: { order_id: String(order.id) },
        customer_email: customer.email,
        success_url: `http://shop.test/orders/${order.id}/payment-result?session_id={CHECKOUT_SESSION_ID}`,
        cancel_url: `http://shop.test/orders/${order.id}/payment-cancelled`,
        line_items_summary: [{ name: product.name, quantity: 2, unit_amount: 1999 }],
      });
      expect(new Date(checkout.expires_at).getTime()).toBe((session?.expires_at ?? 0) * 1000);
      const stored = await getOrder(order.id, customer.token);
      expect(stored.payment).toEqual({
        provider: "stripe",
        session_id: checkout.session_id,
        status: "open",
        expires_at: checkout.expires_at,
        paid_at: null,
      });
    });

    test("confirm-payment marks a paid session's order paid and reports the CRM sync", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const { session_id } = await (await createPayment(order.id, customer.token)).json();
      const paid = await payOnSimulator(session_id);
      const response = await confirm(order.id, customer.token, { session_id });
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body).toMatchObject({
        id: order.id,
        status: "paid",
        payment_status: "paid",
        crm_sync_status: "success",
      });
      expect(body.paid_at).not.toBeNull();
      const stored = await stack.store.findOrder(order.id);
      expect(stored?.paymentIntentId).toBe(paid.payment_intent as string);
      expect(stack.crmStandIn.postsFor(order.id)).toHaveLength(1);
    });

    test("confirm-payment without a session id uses the order's own session", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const { session_id } = await (await createPayment(order.id, customer.token)).json();
      await payOnSimulator(session_id);
      const response = await confirm(order.id, customer.token);
      expect(response.status).toBe(200);
      expect((await response.json()).status).toBe("paid");
    });

    test("create-payment hands out the same open session again instead of opening another", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const first = await (await createPayment(order.id, customer.token)).json();
      const again = await createPayment(order.id, customer.token);
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ session_id: first.session_id, reused: true });
    });

    test("a double click (concurrent create-payment calls) yields one session", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const responses = await Promise.all([
        createPayment(order.id, customer.token),
        createPayment(order.id, customer.token),
      ]);
      const ids = await Promise.all(responses.map(async (response) => (await response.json()).session_id));
      expect(new Set(ids).size).toBe(1);
    });

    test("an expired session is replaced by a new one", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const first = await (await createPayment(order.id, customer.token)).json();
      await fetch(`${stack.simulatorUrl}/__simulator/sessions/${first.session_id}/age`, { method: "POST" });
      await stack.store.attachPaymentSession(order.id, {
        id: first.session_id,
        expiresAt: new Date(Date.now() - 1000),
      });
      const second = await createPayment(order.id, customer.token);
      expect(second.status).toBe(201);
      const body = await second.json();
      expect(body.session_id).not.toBe(first.session_id);
      expect((await stack.store.findOrder(order.id))?.paymentSessionId).toBe(body.session_id);
    });

    test("a session about to lapse is expired at Stripe before a new one replaces it", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const first = await (await createPayment(order.id, customer.token)).json();
      const session = stack.simulator.sessions.get(first.session_id);
      if (session) session.expires_at = Math.floor(Date.now() / 1000) + 60;
      const second = await createPayment(order.id, customer.token);
      expect(second.status).toBe(201);
      expect((await second.json()).session_id).not.toBe(first.session_id);
      expect(stack.simulator.sessions.get(first.session_id)?.status).toBe("expired");
    });

    test("confirming an unpaid session is a 409 with its payment_status and the order stays pending", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const { session_id } = await (await createPayment(order.id, customer.token)).json();
      const response = await confirm(order.id, customer.token, { session_id });
      expect(response.status).toBe(409);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({ payment_status: "unpaid" });
      expect((await stack.store.findOrder(order.id))?.status).toBe("pending");
    });

    test("confirming before any payment was started is a 409", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const response = await confirm(order.id, customer.token);
      expect(response.status).toBe(409);
    });

    test("another order's session is refused with 400 and nothing changes", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const other = await customerWithOrder(stack);
      const { session_id } = await (await createPayment(other.order.id, other.customer.token)).json();
      await payOnSimulator(session_id);
      const response = await confirm(order.id, customer.token, { session_id });
      expect(response.status).toBe(400);
      expect((await response.json()).errors.session_id[0]).toContain("another order");
      expect((await stack.store.findOrder(order.id))?.status).toBe("pending");
      expect((await stack.store.findOrder(other.order.id))?.status).toBe("pending");
    });

    test("an unknown session id is a 400", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const response = await confirm(order.id, customer.token, { session_id: "cs_test_does_not_exist" });
      expect(response.status).toBe(400);
    });

    test("a session id that is not shaped like one is a 400 naming the field, before Stripe is asked", async () => {
      const { customer, order } = await customerWithOrder(stack);
      for (const session_id of [
        "",
        "cs_",
        "pi_test_1",
        "cs_test_1/../x",
        "cs_test_\ud800",
        `cs_${"a".repeat(253)}`,
      ]) {
        const response = await confirm(order.id, customer.token, { session_id });
        expect({ session_id, status: response.status }).toEqual({ session_id, status: 400 });
        expect((await response.json()).errors.session_id[0]).toContain("Checkout Session id");
      }
      expect((await stack.store.findOrder(order.id))?.status).toBe("pending");
    });

    test("a paid session whose amount differs from the order is refused with 400 and nothing changes", async () => {
      const { customer, order } = await customerWithOrder(stack, { priceMinor: 1999, quantity: 2 });
      const sdk = new Stripe("sk_test_tampering", {
        host: "127.0.0.1",
        port: new URL(stack.simulatorUrl).port,
        protocol: "http",
        httpClient: Stripe.createFetchHttpClient(),
      });
      const cheap = await sdk.checkout.sessions.create({
        mode: "payment",
        line_items: [
          { quantity: 1, price_data: { currency: "usd", unit_amount: 1, product_data: { name: "x" } } },
        ],
        metadata: { order_id: String(order.id) },
        success_url: "http://shop.test/done",
      });
      await payOnSimulator(cheap.id);
      const response = await confirm(order.id, customer.token, { session_id: cheap.id });
      expect(response.status).toBe(400);
      expect((await stack.store.findOrder(order.id))?.status).toBe("pending");
      expect(stack.crmStandIn.postsFor(order.id)).toHaveLength(0);
    });

    test("another customer's order is a 404 for both payment endpoints", async () => {
      const { order } = await customerWithOrder(stack);
      const stranger = await registerCustomer(stack.app, "stranger");
      expect((await createPayment(order.id, stranger.token)).status).toBe(404);
      expect((await confirm(order.id, stranger.token)).status).toBe(404);
      expect((await createPayment(order.id, "")).status).toBe(401);
    });

    test("a paid order gets 409 from create-payment, and confirming again changes nothing", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const { session_id } = await (await createPayment(order.id, customer.token)).json();
      await payOnSimulator(session_id);
      const first = await (await confirm(order.id, customer.token, { session_id })).json();
      expect((await createPayment(order.id, customer.token)).status).toBe(409);
      const again = await confirm(order.id, customer.token, { session_id });
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual(first);
      expect(stack.crmStandIn.postsFor(order.id)).toHaveLength(1);
    });

    test("the hosted checkout page pays, signs a webhook to the app and redirects to success_url", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const { checkout_url, session_id } = await (await createPayment(order.id, customer.token)).json();
      const page = await fetch(checkout_url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("Pay 39.98 USD");
      const paid = await fetch(`${stack.simulatorUrl}/checkout/${session_id}/pay`, {
        method: "POST",
        redirect: "manual",
      });
      expect(paid.status).toBe(303);
      expect(paid.headers.get("location")).toBe(
        `http://shop.test/orders/${order.id}/payment-result?session_id=${session_id}`,
      );
      expect((await stack.store.findOrder(order.id))?.status).toBe("paid");
      const cancelled = await fetch(`${stack.simulatorUrl}/checkout/${session_id}/cancel`, {
        method: "POST",
        redirect: "manual",
      });
      expect(cancelled.headers.get("location")).toBe(`http://shop.test/orders/${order.id}/payment-cancelled`);
    });

    describe("webhook", () => {
      test("a correctly signed checkout.session.completed fulfils the order", async () => {
        const { customer, order } = await customerWithOrder(stack);
        const { session_id } = await (await createPayment(order.id, customer.token)).json();
        const session = await payOnSimulator(session_id);
        const response = await signedWebhook(stack, stripeEvent("checkout.session.completed", session));
        expect(response.status).toBe(200);
        expect((await stack.store.findOrder(order.id))?.status).toBe("paid");
      });

      test("a replayed event is harmless: one transition, one CRM post", async () => {
        const { customer, order } = await customerWithOrder(stack);
        const { session_id } = await (await createPayment(order.id, customer.token)).json();
        const payload = stripeEvent("checkout.session.completed", await payOnSimulator(session_id));
        expect((await signedWebhook(stack, payload)).status).toBe(200);
        const paidAt = (await stack.store.findOrder(order.id))?.paidAt;
        expect((await signedWebhook(stack, payload)).status).toBe(200);
        await stack.crm.awaitSettled(order.id, 2000);
        expect((await stack.store.findOrder(order.id))?.paidAt).toEqual(paidAt as Date);
        expect(stack.crmStandIn.postsFor(order.id)).toHaveLength(1);
      });

      test("bad, missing and stale signatures, and a changed body, are 400 and change nothing", async () => {
        const { customer, order } = await customerWithOrder(stack);
        const { session_id } = await (await createPayment(order.id, customer.token)).json();
        const payload = stripeEvent("checkout.session.completed", await payOnSimulator(session_id));
        const url = `${stack.appUrl}/api/v1/payments/stripe/webhook`;
        const post = (headers: Record<string, string>, body = payload) =>
          fetch(url, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });
        expect((await post({})).status).toBe(400);
        expect((await post({ "Stripe-Signature": "t=1,v1=deadbeef" })).status).toBe(400);
        expect((await signedWebhook(stack, payload, { secret: "whsec_wrong" })).status).toBe(400);
        expect(
          (await signedWebhook(stack, payload, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status,
        ).toBe(400);
        const signature = await webhookSigner.webhooks.generateTestHeaderStringAsync({
          payload,
          secret: TEST_WEBHOOK_SECRET,
          cryptoProvider: Stripe.createSubtleCryptoProvider(),
        });
        const changed = payload.replace(`"amount_total":3998`, `"amount_total":1`);
        const tampered = await post({ "Stripe-Signature": signature }, changed);
        expect(tampered.status).toBe(400);
        expect(tampered.headers.get("content-type")).toBe("application/problem+json");
        expect((await stack.store.findOrder(order.id))?.status).toBe("pending");
      });

      test("checkout.session.expired is recorded and the order stays payable; a late one after payment is ignored", async () => {
        const { customer, order } = await customerWithOrder(stack);
        const { session_id } = await (await createPayment(order.id, customer.token)).json();
        const expired = { ...stack.simulator.sessions.get(session_id), status: "expired" };
        expect((await signedWebhook(stack, stripeEvent("checkout.session.expired", expired))).status).toBe(
          200,
        );
        const afterExpiry = await stack.store.findOrder(order.id);
        expect(afterExpiry).toMatchObject({ status: "pending", paymentStatus: "expired" });
        await stack.store.attachPaymentSession(order.id, {
          id: session_id,
          expiresAt: new Date(Date.now() - 1000),
        });
        const next = await (await createPayment(order.id, customer.token)).json();
        const paid = await payOnSimulator(next.session_id);
        expect((await signedWebhook(stack, stripeEvent("checkout.session.completed", paid))).status).toBe(
          200,
        );
        expect((await signedWebhook(stack, stripeEvent("checkout.session.expired", expired))).status).toBe(
          200,
        );
        expect(await stack.store.findOrder(order.id)).toMatchObject({
          status: "paid",
          paymentStatus: "paid",
        });
      });

      test("async_payment_failed is recorded without touching a pending order's payability", async () => {
        const { customer, order } = await customerWithOrder(stack);
        const { session_id } = await (await createPayment(order.id, customer.token)).json();
        const session = stack.simulator.sessions.get(session_id);
        const response = await signedWebhook(
          stack,
          stripeEvent("checkout.session.async_payment_failed", session),
        );
        expect(response.status).toBe(200);
        expect(await stack.store.findOrder(order.id)).toMatchObject({
          status: "pending",
          paymentStatus: "failed",
        });
      });

      test("other event types are acknowledged and ignored", async () => {
        const response = await signedWebhook(
          stack,
          JSON.stringify({
            id: "evt_test_other",
            object: "event",
            type: "customer.created",
            data: { object: {} },
          }),
        );
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ received: true, type: "customer.created" });
      });
    });

    test("50 concurrent confirms plus the webhook: the order becomes paid once and the CRM is called once", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const { session_id } = await (await createPayment(order.id, customer.token)).json();
      const session = await payOnSimulator(session_id);
      const payload = stripeEvent("checkout.session.completed", session);
      const responses = await Promise.all([
        ...Array.from({ length: 50 }, () => confirm(order.id, customer.token, { session_id })),
        signedWebhook(stack, payload),
      ]);
      expect(responses.map((response) => response.status)).toEqual(Array(51).fill(200));
      await stack.crm.awaitSettled(order.id, 3000);
      expect(
        stack.logs.filter(
          (line) => line.includes('"order paid"') && line.includes(`"order_id":${order.id},`),
        ),
      ).toHaveLength(1);
      expect(stack.crmStandIn.postsFor(order.id)).toHaveLength(1);
      expect(await stack.store.findOrder(order.id)).toMatchObject({
        status: "paid",
        crmSyncStatus: "success",
        crmAttempts: 1,
      });
    });

    test("a Stripe outage is a 502 problem, the order is unchanged, and a retry later succeeds", async () => {
      const { customer, order } = await customerWithOrder(stack);
      await fetch(`${stack.simulatorUrl}/__simulator/faults`, {
        method: "POST",
        body: JSON.stringify({ mode: "error", count: 2 }),
      });
      const failed = await createPayment(order.id, customer.token);
      expect(failed.status).toBe(502);
      expect(failed.headers.get("content-type")).toBe("application/problem+json");
      expect((await stack.store.findOrder(order.id))?.paymentSessionId).toBeNull();
      const retried = await createPayment(order.id, customer.token);
      expect(retried.status).toBe(201);
    });
  });
}
