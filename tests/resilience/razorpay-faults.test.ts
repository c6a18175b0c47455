import { afterAll, beforeAll, expect, test } from "bun:test";
import { migrateDatabase } from "../../db/migrate-store.ts";
import { openStore } from "../../db/open-store.ts";
import type { Store } from "../../db/store.ts";
import { type CrmStandIn, startCrmStandIn } from "../../dev/crm-stand-in.ts";
import {
  type RunningRazorpaySimulator,
  startRazorpaySimulator,
} from "../../dev/razorpay-simulator/server.ts";
import { RAZORPAY_TEST_KEY, RAZORPAY_TEST_WEBHOOK_SECRET } from "../payment-stacks.ts";
import { mysqlTarget } from "../support.ts";
import { freePort, waitFor } from "../waiting.ts";
import { ServerProcess } from "./processes.ts";
import { Shopper } from "./purchase.ts";

const mysql = mysqlTarget();

/**
 * A shop on Razorpay as real server processes on MariaDB, killed with SIGKILL at the worst moments of a purchase
 * and of a refund: what Razorpay did while the server was dead reaches the orders once, by the customer's
 * confirmation or by Razorpay's retried webhook.
 */
mysql.describe("Razorpay faults against MariaDB with real processes", () => {
  const databaseUrl = mysql.url() as string;
  let store: Store;
  let razorpay: RunningRazorpaySimulator;
  let crm: CrmStandIn;
  let server: ServerProcess;
  let productId: number;
  let webhookUrl: string;

  const simulator = async (path: string, body?: unknown) => {
    const response = await fetch(`${razorpay.url}/__simulator/${path}`, {
      method: "POST",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`simulator ${path}: ${response.status}`);
    return response.json();
  };
  /** Razorpay retrying every event about `entityId` that did not get a 2xx, with its event id. */
  const redeliverFailed = async (entityId: string) => {
    for (const event of razorpay.simulator.events().filter((sent) => sent.entityId === entityId)) {
      if (typeof event.status === "number" && event.status < 300) continue;
      await simulator("webhooks/redeliver", { id: event.id });
    }
  };
  const crmSuccesses = (orderId: number) =>
    crm.postsFor(orderId).filter((post) => post.status === 201).length;

  beforeAll(async () => {
    await migrateDatabase(databaseUrl);
    store = await openStore(databaseUrl);
    productId = (
      await store.createProduct({
        name: `Razorpay fault product ${crypto.randomUUID()}`,
        description: "",
        priceMinor: 49_900,
        currency: "inr",
      })
    ).id;
    const port = await freePort();
    webhookUrl = `http://127.0.0.1:${port}/api/v1/payments/razorpay/webhook`;
    crm = startCrmStandIn();
    razorpay = startRazorpaySimulator({
      keyId: RAZORPAY_TEST_KEY.id,
      keySecret: RAZORPAY_TEST_KEY.secret,
      webhookSecret: RAZORPAY_TEST_WEBHOOK_SECRET,
      webhookUrl,
    });
    server = new ServerProcess(port, {
      DATABASE_URL: databaseUrl,
      CURRENCY: "inr",
      PAYMENT_PROVIDER: "razorpay",
      PAYMENTS_TEST_MODE: "true",
      RAZORPAY_KEY_ID: RAZORPAY_TEST_KEY.id,
      RAZORPAY_KEY_SECRET: RAZORPAY_TEST_KEY.secret,
      RAZORPAY_WEBHOOK_SECRET: RAZORPAY_TEST_WEBHOOK_SECRET,
      RAZORPAY_API_BASE: razorpay.url,
      RAZORPAY_TIMEOUT_MS: "1000",
      CRM_URL: crm.url,
      CRM_TIMEOUT_MS: "500",
      CRM_WAIT_MS: "1000",
      CRM_RETRY_BASE_MS: "200",
      CRM_RETRY_MAX_MS: "500",
      CRM_POLL_INTERVAL_MS: "200",
    });
    await server.start();
  }, 30_000);

  afterAll(async () => {
    await server?.kill();
    await razorpay?.stop();
    await crm?.stop();
    await store?.close();
  });

  test("SIGKILL before and after the customer pays at Razorpay: the confirmation or the retried webhook pays each order once", async () => {
    const shopper = new Shopper(server.url, razorpay.url);
    await shopper.register();

    // The server dies with the Razorpay order open; the customer pays meanwhile and Razorpay's webhooks fail.
    const paidWhileDead = (await shopper.order(productId)).body;
    const checkout = (await shopper.createPayment(paidWhileDead.id)).body;
    expect(checkout.provider).toBe("razorpay");
    await server.kill();
    const fields = await simulator(`orders/${checkout.razorpay_order_id}/pay`);
    await server.start();
    expect((await shopper.get(paidWhileDead.id)).body.status).toBe("pending");
    // The customer's page comes back: the confirmation asks Razorpay and pays the order.
    expect((await shopper.confirm(paidWhileDead.id)).body.status).toBe("paid");
    // Razorpay retries what failed: nothing is paid or posted twice.
    await redeliverFailed(fields.razorpay_payment_id);

    // Paid, and the customer's page never confirms: Razorpay's retried webhook pays it.
    const webhookOnly = (await shopper.order(productId)).body;
    const second = (await shopper.createPayment(webhookOnly.id)).body;
    await server.kill();
    const secondFields = await simulator(`orders/${second.razorpay_order_id}/pay`);
    await server.start();
    await redeliverFailed(secondFields.razorpay_payment_id);
    await waitFor(
      async () => (await store.findOrder(webhookOnly.id))?.status === "paid",
      "paid by the retried webhook",
    );

    for (const id of [paidWhileDead.id, webhookOnly.id]) {
      await waitFor(
        async () => (await store.findOrder(id))?.crmSyncStatus === "success",
        `order ${id} in the CRM`,
      );
      expect(await store.findOrder(id)).toMatchObject({ status: "paid", paymentStatus: "paid" });
      expect({ id, successes: crmSuccesses(id) }).toEqual({ id, successes: 1 });
    }
  }, 90_000);

  test("SIGKILL after Razorpay made a refund and before the database recorded it: the retried webhook records it once", async () => {
    const shopper = new Shopper(server.url, razorpay.url);
    await shopper.register();
    const order = (await shopper.order(productId)).body;
    const checkout = (await shopper.createPayment(order.id)).body;
    await simulator(`orders/${checkout.razorpay_order_id}/pay?webhook=false`);
    expect((await shopper.confirm(order.id)).body.status).toBe("paid");
    const admin = new Shopper(server.url, razorpay.url);
    await admin.signInAsNewAdmin(store);
    const paymentId = (await store.findOrder(order.id))?.paymentIntentId as string;

    // Razorpay makes the refund, its webhooks do not get through, its answer never arrives: the server dies waiting.
    razorpay.simulator.setWebhookUrl("http://127.0.0.1:9/webhooks-delayed");
    await simulator("faults", { mode: "hang-after", count: 1 });
    const refunding = admin.refund(order.id, {}).catch(() => undefined);
    await waitFor(() => razorpay.simulator.refundsOf(paymentId).length === 1, "Razorpay to make the refund");
    await server.kill();
    await refunding;
    expect(await store.findOrder(order.id)).toMatchObject({
      status: "paid",
      refundedMinor: 0,
      refundReservedMinor: 49_900,
    });
    razorpay.simulator.setWebhookUrl(webhookUrl);
    await server.start();
    // The reservation still holds what Razorpay may have refunded: an admin who tries again refunds nothing twice.
    expect((await admin.refund(order.id, {})).status).toBe(409);

    const [made] = razorpay.simulator.refundsOf(paymentId);
    await redeliverFailed(made?.id as string);
    await redeliverFailed(made?.id as string);
    const recorded = await store.findOrder(order.id);
    expect(recorded).toMatchObject({ status: "refunded", refundedMinor: 49_900, refundReservedMinor: 0 });
    expect(recorded?.refunds.map((refund) => [refund.stripeRefundId, refund.status])).toEqual([
      [made?.id ?? null, "succeeded"],
    ]);
    expect(razorpay.simulator.refundsOf(paymentId)).toHaveLength(1);
    await waitFor(
      () => crm.postsFor(order.id).filter((post) => post.status === 201).length === 2,
      "the order and its refund in the CRM",
    );
  }, 90_000);
});
