import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import {
  paymentSignature,
  RazorpayApiError,
  RazorpayClient,
  RazorpayConnectionError,
  signatureMatches,
  webhookSignature,
} from "../../server/payments/razorpay-client.ts";
import { startRazorpaySimulator } from "./server.ts";

const KEY_ID = "rzp_test_simulator";
const KEY_SECRET = "simulator_key_secret";
const WEBHOOK_SECRET = "simulator_webhook_secret";

interface Received {
  body: string;
  signature: string;
  eventId: string;
}
const received: Received[] = [];
const receiver = Bun.serve({
  port: 0,
  async fetch(request) {
    received.push({
      body: await request.text(),
      signature: request.headers.get("X-Razorpay-Signature") ?? "",
      eventId: request.headers.get("X-Razorpay-Event-Id") ?? "",
    });
    return new Response("ok");
  },
});
const running = startRazorpaySimulator({
  keyId: KEY_ID,
  keySecret: KEY_SECRET,
  webhookSecret: WEBHOOK_SECRET,
  webhookUrl: `http://127.0.0.1:${receiver.port}/hook`,
});
const client = (keySecret = KEY_SECRET, timeoutMs = 5000) =>
  new RazorpayClient({ keyId: KEY_ID, keySecret, apiBase: running.url, timeoutMs });

const newOrder = (amount = 49_900) =>
  client().createOrder({ amount, currency: "inr", receipt: "order 7", notes: { order_id: "7" } });

const pay = async (orderId: string, query = "") =>
  (await (
    await fetch(`${running.url}/__simulator/orders/${orderId}/pay${query}`, { method: "POST" })
  ).json()) as {
    razorpay_payment_id: string;
    razorpay_order_id: string;
    razorpay_signature: string;
  };

const eventsOf = (entityId: string) =>
  received
    .map((delivery) => ({ ...delivery, event: JSON.parse(delivery.body) }))
    .filter((delivery) => delivery.body.includes(entityId));

async function refusal(call: Promise<unknown>): Promise<RazorpayApiError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RazorpayApiError);
  return error as RazorpayApiError;
}

beforeEach(() => {
  received.length = 0;
});

afterAll(async () => {
  await running.stop();
  receiver.stop(true);
});

describe("the Razorpay simulator, driven by the app's Razorpay client", () => {
  test("creates and reads orders as Razorpay does: amount in paise, currency in capitals, receipt and notes kept", async () => {
    const order = await newOrder();
    expect(order).toMatchObject({
      entity: "order",
      amount: 49_900,
      amount_paid: 0,
      amount_due: 49_900,
      currency: "INR",
      receipt: "order 7",
      status: "created",
      attempts: 0,
      notes: { order_id: "7" },
    });
    expect(order.id).toMatch(/^order_[A-Za-z0-9]{14}$/);
    expect(await client().fetchOrder(order.id)).toEqual(order);
  });

  test("refuses a wrong key secret with Razorpay's 401, and unknown ids with its 404", async () => {
    const denied = await refusal(client("not the secret").fetchOrder("order_x"));
    expect(denied).toMatchObject({
      statusCode: 401,
      code: "BAD_REQUEST_ERROR",
      description: "Authentication failed",
    });
    const missing = await refusal(client().fetchPayment("pay_doesnotexist00"));
    expect(missing).toMatchObject({ statusCode: 404, description: "The id provided does not exist" });
  });

  test("refuses bad orders naming the field: less than one rupee, more than 15 notes, a long receipt", async () => {
    expect((await refusal(newOrder(99))).field).toBe("amount");
    const notes = Object.fromEntries(Array.from({ length: 16 }, (_, index) => [`n${index}`, "x"]));
    const tooMany = client().createOrder({ amount: 500, currency: "INR", receipt: "r", notes });
    expect((await refusal(tooMany)).field).toBe("notes");
    const longReceipt = client().createOrder({
      amount: 500,
      currency: "INR",
      receipt: "r".repeat(41),
      notes: {},
    });
    expect((await refusal(longReceipt)).field).toBe("receipt");
  });

  test("a payment hands back the three Checkout fields, signed with the key secret, and is captured", async () => {
    const order = await newOrder();
    const fields = await pay(order.id);
    expect(fields.razorpay_order_id).toBe(order.id);
    expect(fields.razorpay_payment_id).toMatch(/^pay_[A-Za-z0-9]{14}$/);
    const expected = paymentSignature(order.id, fields.razorpay_payment_id, KEY_SECRET);
    expect(signatureMatches(expected, fields.razorpay_signature)).toBe(true);
    expect(
      signatureMatches(
        paymentSignature(order.id, fields.razorpay_payment_id, "other"),
        fields.razorpay_signature,
      ),
    ).toBe(false);
    expect(await client().fetchPayment(fields.razorpay_payment_id)).toMatchObject({
      status: "captured",
      captured: true,
      amount: 49_900,
      currency: "INR",
      order_id: order.id,
    });
    expect(await client().fetchOrder(order.id)).toMatchObject({
      status: "paid",
      amount_paid: 49_900,
      amount_due: 0,
    });
    expect((await client().fetchOrderPayments(order.id)).items.map((payment) => payment.id)).toEqual([
      fields.razorpay_payment_id,
    ]);
  });

  test("webhooks are signed over the raw body with the webhook secret and carry an event id", async () => {
    const order = await newOrder();
    const { razorpay_payment_id: paymentId } = await pay(order.id);
    const deliveries = eventsOf(paymentId);
    expect(deliveries.map((delivery) => delivery.event.event)).toEqual([
      "payment.authorized",
      "payment.captured",
      "order.paid",
    ]);
    for (const delivery of deliveries) {
      expect(signatureMatches(webhookSignature(delivery.body, WEBHOOK_SECRET), delivery.signature)).toBe(
        true,
      );
      expect(delivery.eventId).toMatch(/^evt_[A-Za-z0-9]{14}$/);
    }
    const paid = deliveries[2]?.event;
    expect(paid.contains).toEqual(["payment", "order"]);
    expect(paid.payload.order.entity).toMatchObject({ id: order.id, status: "paid" });
    expect(paid.payload.payment.entity).toMatchObject({ id: paymentId, status: "captured" });
  });

  test("without automatic capture a payment stays authorized until captured for its exact amount", async () => {
    const order = await newOrder(1000);
    const { razorpay_payment_id: paymentId } = await pay(order.id, "?capture=manual");
    expect(await client().fetchPayment(paymentId)).toMatchObject({ status: "authorized", captured: false });
    expect(await client().fetchOrder(order.id)).toMatchObject({ status: "attempted" });
    expect((await refusal(client().capturePayment(paymentId, 999, "inr"))).field).toBe("amount");
    expect(await client().capturePayment(paymentId, 1000, "inr")).toMatchObject({ status: "captured" });
    expect((await refusal(client().capturePayment(paymentId, 1000, "inr"))).description).toMatch(
      /already been captured/,
    );
  });

  test("a failed payment is announced and leaves the order payable", async () => {
    const order = await newOrder();
    const failed = await (
      await fetch(`${running.url}/__simulator/orders/${order.id}/fail`, { method: "POST" })
    ).json();
    expect(failed).toMatchObject({ status: "failed", order_id: order.id, error_code: "BAD_REQUEST_ERROR" });
    expect(eventsOf(failed.id).map((delivery) => delivery.event.event)).toEqual(["payment.failed"]);
    expect(await client().fetchOrder(order.id)).toMatchObject({ status: "attempted", amount_due: 49_900 });
    const { razorpay_payment_id: paid } = await pay(order.id);
    expect(await client().fetchPayment(paid)).toMatchObject({ status: "captured" });
  });

  test("refunds: partial then the rest, listed by payment, never more than was captured", async () => {
    const order = await newOrder();
    const { razorpay_payment_id: paymentId } = await pay(order.id);
    const first = await client().refundPayment(paymentId, {
      amount: 10_000,
      notes: { refund_attempt: "a1" },
    });
    expect(first).toMatchObject({
      entity: "refund",
      amount: 10_000,
      currency: "INR",
      payment_id: paymentId,
      notes: { refund_attempt: "a1" },
      status: "processed",
    });
    expect(first.id).toMatch(/^rfnd_[A-Za-z0-9]{14}$/);
    expect((await refusal(client().refundPayment(paymentId, { amount: 40_000, notes: {} }))).field).toBe(
      "amount",
    );
    const rest = await client().refundPayment(paymentId, { notes: {} });
    expect(rest.amount).toBe(39_900);
    expect(await client().fetchPayment(paymentId)).toMatchObject({
      status: "refunded",
      amount_refunded: 49_900,
      refund_status: "full",
    });
    expect((await client().fetchPaymentRefunds(paymentId)).items.map((refund) => refund.id).sort()).toEqual(
      [first.id, rest.id].sort(),
    );
    const announced = eventsOf(first.id).map((delivery) => delivery.event.event);
    expect(announced).toContain("refund.created");
    await Bun.sleep(50);
    expect(eventsOf(first.id).map((delivery) => delivery.event.event)).toContain("refund.processed");
  });

  test("a refund failed later gives its amount back to the payment and is announced", async () => {
    const order = await newOrder();
    const { razorpay_payment_id: paymentId } = await pay(order.id);
    const made = await client().refundPayment(paymentId, { notes: {} });
    const failed = await (
      await fetch(`${running.url}/__simulator/refunds/${made.id}/fail`, { method: "POST" })
    ).json();
    expect(failed.status).toBe("failed");
    expect(await client().fetchPayment(paymentId)).toMatchObject({ status: "captured", amount_refunded: 0 });
    await Bun.sleep(50);
    expect(eventsOf(made.id).map((delivery) => delivery.event.event)).toContain("refund.failed");
  });

  test("a redelivered event has the same id and body", async () => {
    const order = await newOrder();
    const { razorpay_payment_id: paymentId } = await pay(order.id);
    const [first] = eventsOf(paymentId);
    await fetch(`${running.url}/__simulator/webhooks/redeliver`, {
      method: "POST",
      body: JSON.stringify({ id: first?.eventId }),
    });
    const again = received.at(-1);
    expect(again?.eventId).toBe(first?.eventId as string);
    expect(again?.body).toBe(first?.body as string);
  });

  test("faults on demand: an outage is a 500, a hang is a connection error after the client's timeout", async () => {
    const setFault = (mode: string) =>
      fetch(`${running.url}/__simulator/faults`, {
        method: "POST",
        body: JSON.stringify({ mode, count: 1 }),
      });
    await setFault("error");
    expect((await refusal(newOrder())).statusCode).toBe(500);
    await setFault("hang");
    const hung = await client(KEY_SECRET, 200)
      .fetchOrder("order_x")
      .catch((error: unknown) => error);
    expect(hung).toBeInstanceOf(RazorpayConnectionError);
  });

  test("signatures are compared as 64 hex digits only", () => {
    const good = webhookSignature("{}", WEBHOOK_SECRET);
    expect(signatureMatches(good, good.toUpperCase())).toBe(true);
    expect(signatureMatches(good, undefined)).toBe(false);
    expect(signatureMatches(good, good.slice(2))).toBe(false);
    expect(signatureMatches(good, `${good.slice(1)}z`)).toBe(false);
  });
});
