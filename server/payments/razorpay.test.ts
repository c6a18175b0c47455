import { expect, test } from "bun:test";
import {
  RAZORPAY_TEST_KEY,
  RAZORPAY_TEST_WEBHOOK_SECRET,
  useRazorpayStack,
} from "../../tests/payment-stacks.ts";
import { adminToken, customerWithOrder, request, storeTargets } from "../../tests/support.ts";
import { waitFor } from "../../tests/waiting.ts";
import { ensureAdmin } from "../admin/admins.ts";
import { type RefundDeps, reconcileStaleAttempts, STALE_ATTEMPT_MS } from "../refunds/service.ts";
import { bunPasswordHasher } from "../runtime/passwords.ts";
import { createRazorpayClient, paymentSignature, webhookSignature } from "./razorpay-client.ts";

interface CheckoutFields {
  razorpay_payment_id: string;
  razorpay_order_id: string;
  razorpay_signature: string;
}

for (const target of storeTargets()) {
  target.describe(`Razorpay payments on ${target.name}`, () => {
    const stack = useRazorpayStack(target, { RAZORPAY_TIMEOUT_MS: "1000" });
    let admin = "";

    const createPayment = (orderId: number, token: string) =>
      request(stack.app, "POST", `/api/v1/orders/${orderId}/create-payment/`, { token });
    const confirm = (orderId: number, token: string, body?: unknown) =>
      request(stack.app, "POST", `/api/v1/orders/${orderId}/confirm-payment/`, { token, body });
    const getOrder = async (orderId: number, token: string) =>
      (await request(stack.app, "GET", `/api/v1/orders/${orderId}/`, { token })).json();
    const simulator = async (path: string, body?: unknown) => {
      const response = await fetch(`${stack.razorpayUrl}/__simulator/${path}`, {
        method: "POST",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      return response.json();
    };
    /** What Razorpay Checkout does in the browser when the customer pays. */
    const pay = (razorpayOrderId: string, options: { webhook?: boolean; capture?: "manual" } = {}) =>
      simulator(
        `orders/${razorpayOrderId}/pay?webhook=${options.webhook ?? false}${options.capture ? "&capture=manual" : ""}`,
      ) as Promise<CheckoutFields>;
    const refund = async (orderId: number, body: unknown = {}) => {
      admin ||= await adminToken(stack.app, stack.store);
      return request(stack.app, "POST", `/api/v1/orders/${orderId}/refunds/`, { token: admin, body });
    };
    const webhook = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${stack.appUrl}/api/v1/payments/razorpay/webhook`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-Razorpay-Signature": webhookSignature(body, RAZORPAY_TEST_WEBHOOK_SECRET),
          ...headers,
        },
        body,
      });

    /** A customer's pending order (₹499 × quantity) with its Razorpay order opened. */
    async function openedOrder(quantity = 1) {
      const { customer, order } = await customerWithOrder(stack, { priceMinor: 49_900, quantity });
      const response = await createPayment(order.id, customer.token);
      expect(response.status).toBe(201);
      return { customer, order, checkout: await response.json() };
    }

    async function paidOrder() {
      const opened = await openedOrder();
      const fields = await pay(opened.checkout.razorpay_order_id);
      expect((await confirm(opened.order.id, opened.customer.token, fields)).status).toBe(200);
      return { ...opened, fields };
    }

    test("create-payment opens a Razorpay order for the order's amount, naming the order, and hands it out again", async () => {
      const { customer, order, checkout } = await openedOrder(2);
      expect(checkout).toEqual({
        order_id: order.id,
        provider: "razorpay",
        razorpay_order_id: expect.stringMatching(/^order_[A-Za-z0-9]{14}$/),
        key_id: RAZORPAY_TEST_KEY.id,
        amount: 99_800,
        currency: "INR",
        checkout_script: `${stack.razorpayUrl}/v1/checkout.js`,
        reused: false,
      });
      expect(stack.razorpay.order(checkout.razorpay_order_id)).toMatchObject({
        amount: 99_800,
        currency: "INR",
        receipt: `order ${order.id}`,
        notes: { order_id: String(order.id) },
      });
      expect((await getOrder(order.id, customer.token)).payment).toMatchObject({
        provider: "razorpay",
        session_id: checkout.razorpay_order_id,
        status: "open",
      });
      const again = await createPayment(order.id, customer.token);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ ...checkout, reused: true });
    });

    test("confirm-payment checks the signature, reads the payment from Razorpay and pays the order once", async () => {
      const { customer, order, checkout } = await openedOrder();
      const fields = await pay(checkout.razorpay_order_id);
      expect(fields.razorpay_signature).toBe(
        paymentSignature(checkout.razorpay_order_id, fields.razorpay_payment_id, RAZORPAY_TEST_KEY.secret),
      );
      const [first, second] = await Promise.all([
        confirm(order.id, customer.token, fields),
        confirm(order.id, customer.token, fields),
      ]);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(await first.json()).toMatchObject({
        status: "paid",
        payment_status: "paid",
        amount: "499.00",
        currency: "inr",
      });
      const stored = await stack.store.findOrder(order.id);
      expect(stored).toMatchObject({
        paymentSessionId: checkout.razorpay_order_id,
        paymentIntentId: fields.razorpay_payment_id,
      });
      await waitFor(() => stack.crmStandIn.postsFor(order.id).length === 1, "the CRM post");
      expect(
        stack.logs.filter(
          (line) => line.includes('"order paid"') && line.includes(`"order_id":${order.id},`),
        ),
      ).toHaveLength(1);
    });

    test("a bad or incomplete confirmation is a 400 naming the field, and the order stays payable", async () => {
      const { customer, order, checkout } = await openedOrder();
      const fields = await pay(checkout.razorpay_order_id);
      const forged = await confirm(order.id, customer.token, {
        ...fields,
        razorpay_signature: "ab".repeat(32),
      });
      expect(forged.status).toBe(400);
      expect((await forged.json()).errors).toHaveProperty("razorpay_signature");
      const partial = await confirm(order.id, customer.token, {
        razorpay_payment_id: fields.razorpay_payment_id,
      });
      expect(partial.status).toBe(400);
      expect(Object.keys((await partial.json()).errors).sort()).toEqual([
        "razorpay_order_id",
        "razorpay_signature",
      ]);
      const mixed = await confirm(order.id, customer.token, { ...fields, session_id: "cs_test_1" });
      expect(mixed.status).toBe(400);
      const malformed = await confirm(order.id, customer.token, { ...fields, razorpay_payment_id: "pi_123" });
      expect(malformed.status).toBe(400);
      expect((await malformed.json()).errors).toHaveProperty("razorpay_payment_id");
      expect((await getOrder(order.id, customer.token)).status).toBe("pending");
      expect((await confirm(order.id, customer.token, fields)).status).toBe(200);
    });

    test("another order's payment, signed and real, does not pay this order", async () => {
      const mine = await openedOrder();
      const other = await openedOrder();
      const fields = await pay(other.checkout.razorpay_order_id);
      const response = await confirm(mine.order.id, mine.customer.token, fields);
      expect(response.status).toBe(400);
      expect((await response.json()).errors).toHaveProperty("razorpay_order_id");
      expect((await stack.store.findOrder(mine.order.id))?.status).toBe("pending");
    });

    test("an authorized payment is captured by the confirmation; a failed one leaves the order payable", async () => {
      const { customer, order, checkout } = await openedOrder();
      const failed = await simulator(`orders/${checkout.razorpay_order_id}/fail`);
      const refused = await confirm(order.id, customer.token);
      expect(refused.status).toBe(409);
      expect(await refused.json()).toMatchObject({ payment_status: "failed" });
      expect(failed.status).toBe("failed");
      const fields = await pay(checkout.razorpay_order_id, { capture: "manual" });
      expect(stack.razorpay.payment(fields.razorpay_payment_id)?.status).toBe("authorized");
      const confirmed = await confirm(order.id, customer.token);
      expect(confirmed.status).toBe(200);
      expect(stack.razorpay.payment(fields.razorpay_payment_id)?.status).toBe("captured");
      expect((await confirmed.json()).status).toBe("paid");
    });

    test("an authorized payment of a cancelled order is not captured, and cancelling waits while one is", async () => {
      const { customer, order, checkout } = await openedOrder();
      const fields = await pay(checkout.razorpay_order_id, { capture: "manual" });
      const waiting = await request(stack.app, "POST", `/api/v1/orders/${order.id}/cancel/`, {
        token: customer.token,
      });
      expect(waiting.status).toBe(409);
      expect(await waiting.json()).toMatchObject({ payment_status: "authorized" });
      // Cancelled anyway (the state a lost race leaves): the confirmation must not take the money.
      expect(await stack.store.cancelOrder(order.id, new Date())).toBe(true);
      const refused = await confirm(order.id, customer.token, fields);
      expect(refused.status).toBe(409);
      expect((await refused.json()).detail).toContain("the payment is not taken");
      expect(stack.razorpay.payment(fields.razorpay_payment_id)?.status).toBe("authorized");
      expect(stack.razorpay.refundsOf(fields.razorpay_payment_id)).toEqual([]);
    });

    test("the webhook alone pays the order; its redeliveries, the confirmation and order.paid fulfil it once", async () => {
      const { customer, order, checkout } = await openedOrder();
      const fields = await pay(checkout.razorpay_order_id, { webhook: true });
      await waitFor(
        async () => (await stack.store.findOrder(order.id))?.status === "paid",
        "paid by webhook",
      );
      const events = stack.razorpay.events().filter((event) => event.entityId === fields.razorpay_payment_id);
      expect(events.map((event) => [event.event, event.status])).toEqual([
        ["payment.authorized", 200],
        ["payment.captured", 200],
        ["order.paid", 200],
      ]);
      const replayed = await simulator("webhooks/redeliver", { id: events[1]?.id });
      expect(replayed.status).toBe(200);
      expect((await confirm(order.id, customer.token, fields)).status).toBe(200);
      await waitFor(() => stack.crmStandIn.postsFor(order.id).length === 1, "the CRM post");
      await Bun.sleep(100);
      expect(stack.crmStandIn.postsFor(order.id)).toHaveLength(1);
      expect(
        stack.logs.filter(
          (line) => line.includes('"order paid"') && line.includes(`"order_id":${order.id},`),
        ),
      ).toHaveLength(1);
    });

    test("the webhook refuses a bad signature, skips a replayed event id, and captures an authorized payment", async () => {
      const body = JSON.stringify({ event: "payment.failed", payload: {} });
      const unsigned = await webhook(body, { "X-Razorpay-Signature": "00".repeat(32) });
      expect(unsigned.status).toBe(400);
      const eventId = `evt_${crypto.randomUUID().replace(/-/g, "").slice(0, 14)}`;
      const first = await webhook(body, { "X-Razorpay-Event-Id": eventId });
      expect(await first.json()).toEqual({ received: true, type: "payment.failed", replay: false });
      const again = await webhook(body, { "X-Razorpay-Event-Id": eventId });
      expect(await again.json()).toEqual({ received: true, type: "payment.failed", replay: true });

      const { order, checkout } = await openedOrder();
      const fields = await pay(checkout.razorpay_order_id, { capture: "manual", webhook: true });
      await waitFor(
        async () => (await stack.store.findOrder(order.id))?.status === "paid",
        "captured and paid",
      );
      expect(stack.razorpay.payment(fields.razorpay_payment_id)?.status).toBe("captured");
    });

    test("an admin refunds through Razorpay, partly then fully, each refund recorded and sent to the CRM once", async () => {
      const { customer, order, fields } = await paidOrder();
      const partial = await refund(order.id, { amount: "100.00", reason: "requested_by_customer" });
      expect(partial.status).toBe(201);
      const first = await partial.json();
      expect(first).toMatchObject({
        amount: "100.00",
        currency: "inr",
        status: "succeeded",
        reason: "requested_by_customer",
      });
      expect(first.id).toMatch(/^rfnd_[A-Za-z0-9]{14}$/);
      const atRazorpay = stack.razorpay.refundsOf(fields.razorpay_payment_id);
      expect(atRazorpay).toHaveLength(1);
      expect(atRazorpay[0]?.notes).toMatchObject({
        order_id: String(order.id),
        reason: "requested_by_customer",
      });
      expect(atRazorpay[0]?.notes.refund_attempt).toBeString();
      const rest = await (await refund(order.id)).json();
      expect(rest).toMatchObject({ amount: "399.00", status: "succeeded" });
      expect((await refund(order.id, { amount: "1.00" })).status).toBe(409);
      expect(await getOrder(order.id, customer.token)).toMatchObject({
        status: "refunded",
        refunded_amount: "499.00",
      });
      await waitFor(
        () => stack.crmStandIn.postsFor(order.id).length === 3,
        "the order and its two refunds in the CRM",
      );
      await Bun.sleep(100);
      expect(stack.crmStandIn.postsFor(order.id)).toHaveLength(3);
      expect(stack.razorpay.refundsOf(fields.razorpay_payment_id)).toHaveLength(2);
    });

    test("a refund Razorpay made but whose answer was lost is recorded once by the reconciliation pass", async () => {
      const { order, fields } = await paidOrder();
      await simulator("faults", { mode: "hang-after", count: 1 });
      const lost = await refund(order.id, { amount: "50.00" });
      expect(lost.status).toBe(503);
      expect(stack.razorpay.refundsOf(fields.razorpay_payment_id)).toHaveLength(1);
      const deps: RefundDeps = {
        config: stack.config,
        store: stack.store,
        stripe: undefined,
        razorpay: createRazorpayClient(stack.config),
        crm: stack.crm,
        log: () => undefined,
      };
      await reconcileStaleAttempts(deps, new Date(Date.now() + STALE_ATTEMPT_MS + 1000));
      await reconcileStaleAttempts(deps, new Date(Date.now() + STALE_ATTEMPT_MS + 1000));
      const stored = await stack.store.findOrder(order.id);
      expect(stored?.refundedMinor).toBe(5000);
      expect(stored?.refunds.filter((row) => row.status === "succeeded")).toHaveLength(1);
    });

    test("cancelling closes what it can: money that still arrives on the Razorpay order goes back in full", async () => {
      const { customer, order, checkout } = await openedOrder();
      const cancelled = await request(stack.app, "POST", `/api/v1/orders/${order.id}/cancel/`, {
        token: customer.token,
      });
      expect(cancelled.status).toBe(200);
      const fields = await pay(checkout.razorpay_order_id, { webhook: true });
      await waitFor(
        () => stack.razorpay.refundsOf(fields.razorpay_payment_id).length === 1,
        "the late payment refunded",
      );
      expect(stack.razorpay.refundsOf(fields.razorpay_payment_id)[0]?.amount).toBe(49_900);
      expect(await getOrder(order.id, customer.token)).toMatchObject({
        status: "cancelled",
        refunded_amount: "0.00",
      });
      expect((await getOrder(order.id, customer.token)).refunds).toEqual([
        expect.objectContaining({
          amount: "499.00",
          reason: "duplicate",
          status: "succeeded",
          of_order_payment: false,
        }),
      ]);
    });

    test("an order paid at Razorpay before the cancellation reached us is paid, not cancelled", async () => {
      const { customer, order, checkout } = await openedOrder();
      await pay(checkout.razorpay_order_id);
      const response = await request(stack.app, "POST", `/api/v1/orders/${order.id}/cancel/`, {
        token: customer.token,
      });
      expect(response.status).toBe(409);
      expect((await response.json()).detail).toBe("The order was paid before it could be cancelled.");
      expect((await getOrder(order.id, customer.token)).status).toBe("paid");
    });

    test("Razorpay failing or hanging on create-payment or confirm-payment is a clear 502/503, the order unchanged, and a retry succeeds", async () => {
      const { customer, order } = await customerWithOrder(stack, { priceMinor: 49_900, quantity: 1 });
      const fault = (mode: "error" | "hang") => simulator("faults", { mode, count: 1 });
      const expectProblem = (response: Response, status: number) =>
        expect([response.status, response.headers.get("Content-Type")]).toEqual([
          status,
          "application/problem+json",
        ]);
      await fault("error");
      expectProblem(await createPayment(order.id, customer.token), 502);
      await fault("hang");
      expectProblem(await createPayment(order.id, customer.token), 503);
      expect(await stack.store.findOrder(order.id)).toMatchObject({
        status: "pending",
        paymentSessionId: null,
      });

      const checkout = await (await createPayment(order.id, customer.token)).json();
      const fields = await pay(checkout.razorpay_order_id);
      await fault("error");
      expectProblem(await confirm(order.id, customer.token, fields), 502);
      await fault("hang");
      expectProblem(await confirm(order.id, customer.token, fields), 503);
      expect(await stack.store.findOrder(order.id)).toMatchObject({ status: "pending", paidAt: null });
      expect((await (await confirm(order.id, customer.token, fields)).json()).status).toBe("paid");
    });

    test("the admin's order page names Razorpay and links its order, payment and refund to Razorpay's dashboard", async () => {
      const { order, checkout, fields } = await paidOrder();
      const made = await (await refund(order.id, { amount: "10.00" })).json();
      const credentials = { email: `admin-${crypto.randomUUID()}@example.com`, password: "admin password 1" };
      await ensureAdmin(stack.store, bunPasswordHasher, credentials);
      const login = await stack.app.request("/admin/login", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: "http://localhost" },
        body: new URLSearchParams(credentials).toString(),
      });
      const cookie = (
        login.headers.getSetCookie().find((line) => line.startsWith("admin_session=")) ?? ""
      ).split(";")[0];
      const html = await (
        await stack.app.request(`/admin/orders/${order.id}`, { headers: { Cookie: cookie as string } })
      ).text();
      expect(html).toContain("<dt>Payment provider</dt><dd>Razorpay</dd>");
      for (const [path, id] of [
        ["orders", checkout.razorpay_order_id],
        ["payments", fields.razorpay_payment_id],
        ["refunds", made.id],
      ])
        expect(html).toContain(`href="https://dashboard.razorpay.com/app/${path}/${id}"`);
      // A refund from the admin's form says where the money went back from.
      const csrf = /name="_csrf" value="([0-9a-f]+)"/.exec(html)?.[1] as string;
      const refunded = await stack.app.request(`/admin/orders/${order.id}/refunds`, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Origin: "http://localhost",
          Cookie: cookie as string,
        },
        body: new URLSearchParams({ _csrf: csrf, amount: "5.00", reason: "" }).toString(),
      });
      expect(refunded.status).toBe(303);
      expect(refunded.headers.getSetCookie().find((line) => line.startsWith("admin_notice="))).toStartWith(
        "admin_notice=refunded-razorpay;",
      );
      expect((await stack.store.findOrder(order.id))?.refundedMinor).toBe(1500);
    });
  });
}
