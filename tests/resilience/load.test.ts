import { afterAll, beforeAll, expect, test } from "bun:test";
import { createConnection } from "mysql2/promise";
import { migrateDatabase } from "../../db/migrate-store.ts";
import { openStore } from "../../db/open-store.ts";
import type { Store } from "../../db/store.ts";
import { type CrmStandIn, startCrmStandIn } from "../../dev/crm-stand-in.ts";
import type { DeliveredEvent } from "../../dev/stripe-simulator/app.tsx";
import { issueToken } from "../../server/auth/tokens.ts";
import { testConfig } from "../../server/config.ts";
import { bunPasswordHasher } from "../../server/runtime/passwords.ts";
import { mysqlTarget } from "../support.ts";
import { waitFor } from "../waiting.ts";
import { type ServerProcess, startTwoServers, type TwoServers } from "./processes.ts";
import { Shopper } from "./purchase.ts";

const mysql = mysqlTarget();
const CUSTOMERS = 500;
const SECONDS = 20;
const LOAD_JWT_SECRET = "load-test-secret-load-test-secret-32c";

mysql.describe("load: customers buying through two servers on one MariaDB, with a flaky CRM", () => {
  const databaseUrl = mysql.url() as string;
  let store: Store;
  let crm: CrmStandIn;
  let shop: TwoServers;

  beforeAll(async () => {
    await migrateDatabase(databaseUrl);
    store = await openStore(databaseUrl);
    crm = startCrmStandIn();
    crm.failureRate = 0.2;
    shop = await startTwoServers({
      DATABASE_URL: databaseUrl,
      JWT_SECRET: LOAD_JWT_SECRET,
      CRM_URL: crm.url,
      CRM_TIMEOUT_MS: "2000",
      CRM_WAIT_MS: "500",
      CRM_MAX_ATTEMPTS: "30",
      CRM_RETRY_BASE_MS: "100",
      CRM_RETRY_MAX_MS: "1000",
      CRM_POLL_INTERVAL_MS: "250",
    });
  }, 30_000);

  afterAll(async () => {
    await shop?.stop();
    await crm?.stop();
    await store?.close();
  });

  test("every paid order reaches the CRM exactly once and the report equals a count made in SQL", async () => {
    const product = await store.createProduct({
      name: `Load product ${crypto.randomUUID()}`,
      description: "",
      priceMinor: 990,
      currency: "usd",
    });
    // Customers are created directly with one shared password hash and handed their tokens, so the run spends
    // its time buying rather than in 500 argon2id hashes; sign-up and sign-in are tested elsewhere.
    const passwordHash = await bunPasswordHasher.hash("load test password");
    const config = testConfig({ JWT_SECRET: LOAD_JWT_SECRET });
    const shoppers = await Promise.all(
      Array.from({ length: CUSTOMERS }, async (_, index) => {
        const user = await store.createUser({
          email: `load-${crypto.randomUUID()}@example.test`,
          name: "",
          passwordHash,
          role: "customer",
        });
        const shopper = new Shopper((shop.servers[index % 2] as ServerProcess).url, shop.simulator.url);
        shopper.token = await issueToken(config, user);
        return shopper;
      }),
    );
    const statuses = new Map<number, number>();
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const orderIds: number[] = [];
    const deadline = Date.now() + SECONDS * 1000;
    await Promise.all(
      shoppers.map(async (shopper, index) => {
        for (let round = 0; Date.now() < deadline; round++) {
          shopper.apiUrl = (shop.servers[(index + round) % 2] as ServerProcess).url;
          const order = await shopper.order(product.id);
          count(order.status);
          if (order.status !== 201) continue;
          orderIds.push(order.body.id);
          const checkout = await shopper.createPayment(order.body.id);
          count(checkout.status);
          if (checkout.status !== 201 || round % 5 === 4) continue;
          await shopper.pay(checkout.body.session_id, round % 2 === 0);
          shopper.apiUrl = (shop.servers[(index + round + 1) % 2] as ServerProcess).url;
          const confirmed = await shopper.confirm(order.body.id, checkout.body.session_id);
          count(confirmed.status);
        }
      }),
    );
    const requests = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);

    await waitFor(
      async () => {
        const orders = await Promise.all(orderIds.map((id) => store.findOrder(id)));
        return orders.every((order) => order?.status !== "paid" || order.crmSyncStatus === "success");
      },
      "every paid order to be synced",
      60_000,
    );
    const orders = await Promise.all(orderIds.map((id) => store.findOrder(id)));
    // Each order is whole: paid with its payment and one successful CRM post, or pending with neither.
    const mismatches = orders.filter((order) => {
      if (!order || order.amountMinor !== product.priceMinor * order.quantity) return true;
      const successes = crm.postsFor(order.id).filter((post) => post.status === 201).length;
      if (order.status === "pending") return successes !== 0 || order.paidAt !== null;
      return (
        successes !== 1 ||
        order.paidAt === null ||
        order.paymentStatus !== "paid" ||
        order.paymentIntentId === null ||
        order.crmSyncStatus !== "success" ||
        order.crmClaimedUntil !== null
      );
    });
    expect(mismatches.map((order) => order?.id)).toEqual([]);
    // The webhooks raced the confirms on the other server: each was taken with a 200.
    const events = (await (
      await fetch(`${shop.simulator.url}/__simulator/events`)
    ).json()) as DeliveredEvent[];
    const webhooks = events.filter((event) => event.type === "checkout.session.completed");
    expect(webhooks.filter((event) => event.status !== 200)).toEqual([]);

    // The shop's summary is an admin's.
    const admin = await store.createUser({
      email: `load-admin-${crypto.randomUUID()}@example.test`,
      name: "",
      passwordHash,
      role: "admin",
    });
    const token = await issueToken(config, admin);
    const summary = await (
      await fetch(`${shop.servers[1]?.url}/api/v1/reports/summary/`, {
        headers: { Authorization: `Bearer ${token}` },
      })
    ).json();
    const connection = await createConnection(databaseUrl);
    const [[counted]] = (await connection.query(
      "SELECT COUNT(*) AS total, SUM(status IN ('paid', 'refunded')) AS paid, SUM(status = 'pending') AS pending, COALESCE(SUM(CASE WHEN status IN ('paid', 'refunded') AND currency = 'usd' THEN amount_minor - refunded_minor END), 0) AS revenue FROM orders",
    )) as unknown as [[{ total: number; paid: string; pending: string; revenue: string }]];
    await connection.end();
    expect(summary.total_orders).toBe(Number(counted.total));
    expect(summary.paid_orders).toBe(Number(counted.paid));
    expect(summary.pending_orders).toBe(Number(counted.pending));
    expect(summary.total_revenue).toBe((Number(counted.revenue) / 100).toFixed(2));

    const paid = orders.filter((order) => order?.status === "paid").length;
    const failedPosts = crm.received.filter((post) => post.status === 500).length;
    console.log(
      `load: ${CUSTOMERS} customers, ${SECONDS} s, ${requests} API requests (${[...statuses].map(([status, n]) => `${status}: ${n}`).join(", ")}) and ${webhooks.length} webhooks, ` +
        `${orderIds.length} orders checked, ${paid} paid, ${failedPosts} CRM failures injected, mismatches: ${mismatches.length}`,
    );
  }, 180_000);
});
