import { afterAll, beforeAll, expect, test } from "bun:test";
import { migrateDatabase } from "../../db/migrate-store.ts";
import { openStore } from "../../db/open-store.ts";
import type { Store } from "../../db/store.ts";
import { type CrmStandIn, startCrmStandIn } from "../../dev/crm-stand-in.ts";
import { type RunningSimulator, startStripeSimulator } from "../../dev/stripe-simulator/server.ts";
import { mysqlTarget } from "../support.ts";
import { freePort, waitFor } from "../waiting.ts";
import { ServerProcess, startTcpProxy } from "./processes.ts";
import { Shopper } from "./purchase.ts";

const mysql = mysqlTarget();

const DB_TIMEOUT_MS = 1000;
const CRM_TIMEOUT_MS = 500;
const CRM_WAIT_MS = 1000;
const CRM_POLL_MS = 200;
/** A dead process's CRM claim holds its order this long (server/crm/sync.ts: post + record + 5 s). */
/** server/crm/sync.ts: post, record, a frozen cluster (15 s), clock skew and claim. */
const CRM_LEASE_MS = CRM_TIMEOUT_MS + 2 * DB_TIMEOUT_MS + 15_000 + 5000;

interface Observed {
  path: string;
  status: number;
  contentType: string;
  ms: number;
}

/** A customer's requests one after another until stopped, each one's status, content type and time recorded. */
function requestLoop(shopper: Shopper, orderId: number) {
  const observed: Observed[] = [];
  let running = true;
  const calls = [() => shopper.products(), () => shopper.get(orderId), () => shopper.summary()];
  const done = (async () => {
    for (let index = 0; running; index++) {
      const started = Date.now();
      const call = calls[index % calls.length] as () => ReturnType<Shopper["get"]>;
      const result = await call().catch(() => ({ path: "?", status: 0, contentType: "" }));
      observed.push({
        path: result.path,
        status: result.status,
        contentType: result.contentType,
        ms: Date.now() - started,
      });
    }
  })();
  return {
    observed,
    last: () => observed.at(-1),
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Real server processes on MariaDB, a Stripe simulator and a CRM stand-in, with faults injected between them. */
mysql.describe("faults against MariaDB with real processes", () => {
  const databaseUrl = mysql.url() as string;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let store: Store;
  let simulator: RunningSimulator;
  let crm: CrmStandIn;
  let server: ServerProcess;
  let productId: number;

  const crmSuccesses = (orderId: number) =>
    crm.postsFor(orderId).filter((post) => post.status === 201).length;
  const readiness = async () => {
    const started = Date.now();
    const response = await fetch(`${server.url}/readyz`);
    return { status: response.status, ms: Date.now() - started };
  };

  beforeAll(async () => {
    await migrateDatabase(databaseUrl);
    store = await openStore(databaseUrl);
    productId = (
      await store.createProduct({
        name: `Fault product ${crypto.randomUUID()}`,
        description: "",
        priceMinor: 1500,
        currency: "usd",
      })
    ).id;
    proxy = await startTcpProxy(Number(new URL(databaseUrl).port || 3306));
    const port = await freePort();
    crm = startCrmStandIn();
    simulator = startStripeSimulator({
      webhookSecret: "whsec_resilience_0123456789abcdefgh",
      webhookUrl: `http://127.0.0.1:${port}/api/v1/payments/stripe/webhook`,
    });
    const proxied = new URL(databaseUrl);
    proxied.port = String(proxy.port);
    server = new ServerProcess(port, {
      DATABASE_URL: proxied.toString(),
      DB_TIMEOUT_MS: String(DB_TIMEOUT_MS),
      STRIPE_SECRET_KEY: "sk_test_resilience",
      STRIPE_WEBHOOK_SECRET: "whsec_resilience_0123456789abcdefgh",
      STRIPE_API_BASE: simulator.url,
      STRIPE_TIMEOUT_MS: "1000",
      CRM_URL: crm.url,
      CRM_TIMEOUT_MS: String(CRM_TIMEOUT_MS),
      CRM_WAIT_MS: String(CRM_WAIT_MS),
      CRM_MAX_ATTEMPTS: "100",
      CRM_RETRY_BASE_MS: "200",
      CRM_RETRY_MAX_MS: "500",
      CRM_POLL_INTERVAL_MS: String(CRM_POLL_MS),
    });
    await server.start();
  }, 30_000);

  afterAll(async () => {
    await server?.kill();
    proxy?.stop();
    await simulator?.stop();
    await crm?.stop();
    await store?.close();
  });

  test("the database goes down, then silent, under load: 503 problems within the timeout, /readyz not ready, recovery without a restart, nothing paid lost", async () => {
    const shopper = new Shopper(server.url, simulator.url);
    await shopper.register();
    // Paid before the outage, its CRM post still to be made when the database goes away.
    crm.mode = "hang";
    const paid = (await shopper.order(productId)).body;
    const paidCheckout = (await shopper.createPayment(paid.id)).body;
    await shopper.pay(paidCheckout.session_id, false);
    expect((await shopper.confirm(paid.id, paidCheckout.session_id)).body.status).toBe("paid");
    // Paid at Stripe during the outage: neither the webhook nor the confirm can reach the database.
    const duringOutage = (await shopper.order(productId)).body;
    const duringCheckout = (await shopper.createPayment(duringOutage.id)).body;

    for (const fault of ["cut", "hang"] as const) {
      const loop = requestLoop(shopper, paid.id);
      await Bun.sleep(300);
      proxy[fault]();
      await waitFor(async () => loop.last()?.status === 503, `503 once the database is ${fault}`, 5000);
      const notReady = await readiness();
      expect({ fault, ...notReady, ms: notReady.ms < 3000 }).toEqual({ fault, status: 503, ms: true });
      if (fault === "hang") {
        await shopper.pay(duringCheckout.session_id, true);
        const delivered = simulator.simulator.events.find(
          (event) => event.objectId === duringCheckout.session_id,
        );
        expect(delivered?.status).toBe(503);
        const refused = await shopper.confirm(duringOutage.id, duringCheckout.session_id);
        expect([refused.status, refused.contentType]).toEqual([503, "application/problem+json"]);
      }
      await Bun.sleep(2 * DB_TIMEOUT_MS);

      proxy.restore();
      await waitFor(async () => (await readiness()).status === 200, `readiness after the ${fault}`, 15_000);
      await waitFor(async () => loop.last()?.status === 200, `200 after the ${fault}`, 15_000);
      await loop.stop();
      const unexpected = loop.observed.filter(
        (call) =>
          !(call.status === 200 || (call.status === 503 && call.contentType === "application/problem+json")),
      );
      expect({ fault, unexpected }).toEqual({ fault, unexpected: [] });
      expect(loop.observed.filter((call) => call.status === 503).length).toBeGreaterThan(1);
      // Bounded by the database timeout (a wait for a connection, then the statement), never a hang.
      const slowest = Math.max(...loop.observed.map((call) => call.ms));
      expect({ fault, slowest: slowest < 2 * DB_TIMEOUT_MS + 1500 }).toEqual({ fault, slowest: true });
      const refusals = loop.observed.filter((call) => call.status === 503).length;
      console.log(
        `database ${fault}: ${loop.observed.length} requests, ${refusals} answered 503 problem+json, slowest ${slowest} ms, /readyz 503 in ${notReady.ms} ms`,
      );
    }

    crm.mode = "ok";
    expect((await shopper.confirm(duringOutage.id, duringCheckout.session_id)).body.status).toBe("paid");
    await waitFor(
      async () =>
        (await Promise.all([store.findOrder(paid.id), store.findOrder(duringOutage.id)])).every(
          (order) => order?.crmSyncStatus === "success",
        ),
      "the CRM sync to resume",
      20_000,
    );
    for (const id of [paid.id, duringOutage.id]) {
      expect(await store.findOrder(id)).toMatchObject({ status: "paid", paymentStatus: "paid" });
      expect({ id, successes: crmSuccesses(id) }).toEqual({ id, successes: 1 });
    }
  }, 90_000);

  test("SIGKILL at each step of a purchase leaves every order consistent and every paid order synced once", async () => {
    const shopper = new Shopper(server.url, simulator.url);
    await shopper.register();

    const afterOrder = (await shopper.order(productId)).body;
    await server.kill();
    await server.start();
    expect((await shopper.get(afterOrder.id)).body).toMatchObject({
      status: "pending",
      payment: { status: "unpaid" },
    });

    const afterCheckout = (await shopper.order(productId)).body;
    const checkout = (await shopper.createPayment(afterCheckout.id)).body;
    await server.kill();
    await shopper.pay(checkout.session_id, true);
    await server.start();
    expect((await shopper.get(afterCheckout.id)).body.status).toBe("pending");
    expect((await shopper.confirm(afterCheckout.id, checkout.session_id)).body.status).toBe("paid");

    crm.mode = "hang";
    const beforeCrm = (await shopper.order(productId)).body;
    const beforeCrmCheckout = (await shopper.createPayment(beforeCrm.id)).body;
    await shopper.pay(beforeCrmCheckout.session_id, false);
    // Caught at once: the kill below rejects it, and a rejection nobody handles yet would fail the test.
    const confirmation = shopper.confirm(beforeCrm.id, beforeCrmCheckout.session_id).catch(() => undefined);
    await waitFor(async () => crm.postsFor(beforeCrm.id).length > 0, "the CRM post to start");
    await server.kill();
    const killedAt = Date.now();
    await confirmation;
    expect(await store.findOrder(beforeCrm.id)).toMatchObject({ status: "paid", crmSyncStatus: "pending" });
    crm.mode = "ok";
    await server.start();

    const first = (await shopper.createPayment(afterOrder.id)).body;
    await shopper.pay(first.session_id, false);
    expect((await shopper.confirm(afterOrder.id, first.session_id)).status).toBe(200);

    const orderIds = [afterOrder.id, afterCheckout.id, beforeCrm.id];
    await waitFor(
      async () =>
        (await Promise.all(orderIds.map((id) => store.findOrder(id)))).every(
          (order) => order?.crmSyncStatus === "success",
        ),
      "every paid order to reach the CRM",
      CRM_LEASE_MS + 15_000,
    );
    // The dead process's claim was honoured: nobody posted the order again before its lease ran out.
    const repost = crm.postsFor(beforeCrm.id).find((post) => post.status === 201);
    expect((repost?.receivedAt ?? 0) - killedAt).toBeGreaterThan(CRM_LEASE_MS - 1500);
    for (const id of orderIds) {
      expect(await store.findOrder(id)).toMatchObject({ status: "paid", paymentStatus: "paid" });
      expect({ id, successes: crmSuccesses(id) }).toEqual({ id, successes: 1 });
    }
  }, 90_000);

  test("the database freezing right after the CRM took a post: the success is recorded once it answers, and nobody posts the order again", async () => {
    const shopper = new Shopper(server.url, simulator.url);
    await shopper.register();
    const order = (await shopper.order(productId)).body;
    const checkout = (await shopper.createPayment(order.id)).body;
    await shopper.pay(checkout.session_id, false);
    // A cluster freeze of three DB_TIMEOUT_MS from the moment the CRM answers: recording the success times out.
    crm.beforeSuccess = () => {
      crm.beforeSuccess = undefined;
      proxy.hang();
      setTimeout(() => proxy.restore(), 3 * DB_TIMEOUT_MS);
    };
    const confirmed = shopper.confirm(order.id, checkout.session_id).catch(() => undefined);
    await waitFor(
      async () => (await store.findOrder(order.id))?.crmSyncStatus === "success",
      "the success to be recorded after the freeze",
      CRM_LEASE_MS,
    );
    await confirmed;
    // Past the lease a claimant that gave up would have left: the order was still posted once.
    await Bun.sleep(2 * CRM_POLL_MS);
    expect(crmSuccesses(order.id)).toBe(1);
    expect(await store.findOrder(order.id)).toMatchObject({
      status: "paid",
      crmSyncStatus: "success",
      crmAttempts: 1,
    });
  }, 60_000);

  test("a hanging, slow, garbage or refusing CRM never holds confirm-payment past its budget", async () => {
    const shopper = new Shopper(server.url, simulator.url);
    await shopper.register();
    for (const mode of ["hang", "slow", "garbage", "error500"] as const) {
      crm.mode = mode;
      crm.slowMs = 3000;
      const order = (await shopper.order(productId)).body;
      const checkout = (await shopper.createPayment(order.id)).body;
      await shopper.pay(checkout.session_id, false);
      const started = Date.now();
      const result = await shopper.confirm(order.id, checkout.session_id);
      expect({ mode, status: result.status, paid: result.body.status }).toEqual({
        mode,
        status: 200,
        paid: "paid",
      });
      expect({ mode, inBudget: Date.now() - started < CRM_WAIT_MS + 1500 }).toEqual({ mode, inBudget: true });
    }
    crm.mode = "ok";
  }, 60_000);

  test("Stripe failing or hanging on create-payment or confirm-payment is a clear 502/503, the order unchanged, and a retry succeeds", async () => {
    const shopper = new Shopper(server.url, simulator.url);
    await shopper.register();
    const order = (await shopper.order(productId)).body;
    const fault = (mode: "error" | "hang", count: number) =>
      fetch(`${simulator.url}/__simulator/faults`, { method: "POST", body: JSON.stringify({ mode, count }) });
    const expectProblem = (result: Awaited<ReturnType<Shopper["get"]>>, status: number) =>
      expect([result.status, result.contentType]).toEqual([status, "application/problem+json"]);

    await fault("error", 2);
    expectProblem(await shopper.createPayment(order.id), 502);
    await fault("hang", 2);
    let started = Date.now();
    expectProblem(await shopper.createPayment(order.id), 503);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await store.findOrder(order.id)).toMatchObject({ status: "pending", paymentSessionId: null });

    const checkout = (await shopper.createPayment(order.id)).body;
    await shopper.pay(checkout.session_id, false);
    await fault("error", 2);
    expectProblem(await shopper.confirm(order.id, checkout.session_id), 502);
    await fault("hang", 2);
    started = Date.now();
    expectProblem(await shopper.confirm(order.id, checkout.session_id), 503);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await store.findOrder(order.id)).toMatchObject({ status: "pending", paidAt: null });
    expect((await shopper.confirm(order.id, checkout.session_id)).body.status).toBe("paid");
  }, 60_000);

  test("SIGKILL after Stripe accepted a refund and before the database recorded it: Stripe's retried webhook records it once", async () => {
    const shopper = new Shopper(server.url, simulator.url);
    await shopper.register();
    const order = (await shopper.order(productId)).body;
    const checkout = (await shopper.createPayment(order.id)).body;
    await shopper.pay(checkout.session_id, false);
    expect((await shopper.confirm(order.id, checkout.session_id)).body.status).toBe("paid");
    const admin = new Shopper(server.url, simulator.url);
    await admin.signInAsNewAdmin(store);
    const intent = (await store.findOrder(order.id))?.paymentIntentId as string;
    const atStripe = () =>
      [...simulator.simulator.refunds.values()].filter((refund) => refund.payment_intent === intent);

    // Stripe makes the refund, its webhook does not get through, its answer never arrives: the server dies waiting.
    simulator.simulator.sendWebhooksTo("http://127.0.0.1:9/webhooks-delayed");
    await fetch(`${simulator.url}/__simulator/faults`, {
      method: "POST",
      body: JSON.stringify({ mode: "hang-after", count: 1 }),
    });
    const refunding = admin.refund(order.id, {}).catch(() => undefined);
    await waitFor(async () => atStripe().length === 1, "Stripe to make the refund");
    await server.kill();
    await refunding;
    expect(await store.findOrder(order.id)).toMatchObject({
      status: "paid",
      refundedMinor: 0,
      refundReservedMinor: 1500,
    });
    simulator.simulator.sendWebhooksTo(`${server.url}/api/v1/payments/stripe/webhook`);
    await server.start();
    // The reservation still holds what Stripe may have refunded: an admin who tries again refunds nothing twice.
    expect((await admin.refund(order.id, {})).status).toBe(409);

    await fetch(`${simulator.url}/__simulator/webhooks/redeliver`, { method: "POST" });
    await fetch(`${simulator.url}/__simulator/webhooks/redeliver`, { method: "POST" });
    const recorded = await store.findOrder(order.id);
    expect(recorded).toMatchObject({ status: "refunded", refundedMinor: 1500, refundReservedMinor: 0 });
    expect(recorded?.refunds.map((refund) => [refund.stripeRefundId, refund.status])).toEqual([
      [atStripe()[0]?.id ?? null, "succeeded"],
    ]);
    expect(atStripe()).toHaveLength(1);
    await waitFor(
      async () => (await store.findOrder(order.id))?.refunds[0]?.crmSyncStatus === "success",
      "the refund to reach the CRM",
    );
    expect(
      crm.postsFor(order.id).filter((post) => post.body.event === "refund" && post.status === 201),
    ).toHaveLength(1);
  }, 60_000);
});
