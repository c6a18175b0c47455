import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createConnection } from "mysql2/promise";
import type { DrizzleStore } from "../../db/drizzle-store.ts";
import { migrateDatabase } from "../../db/migrate-store.ts";
import { openStore } from "../../db/open-store.ts";
import { type CrmStandIn, startCrmStandIn } from "../../dev/crm-stand-in.ts";
import { issueToken } from "../../server/auth/tokens.ts";
import { testConfig } from "../../server/config.ts";
import { type GaleraCluster, galeraSkipReason, nodeChecksums, startGaleraCluster } from "../galera.ts";
import { rawSql } from "../support.ts";
import { waitFor } from "../waiting.ts";
import { type ServerProcess, startTwoServers, type TwoServers } from "./processes.ts";
import { Shopper, type StepResult } from "./purchase.ts";

const skipReason = galeraSkipReason();
const cluster = skipReason ? describe.skip : describe;
const CUSTOMERS = 40;
const SECONDS = 16;
const JWT_SECRET = "cluster-test-secret-cluster-test-32c";
const PRICE = 1000;

cluster(
  `the shop on a 3-node MariaDB Galera cluster, losing a node under load${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    let galera: GaleraCluster;
    let store: DrizzleStore;
    let crm: CrmStandIn;
    const nodeUrl = (index: number) => `${galera.nodes[index]?.serverUrl}/orders`;
    /** DATABASE_URL naming all three nodes, `first` first. */
    const clusterUrl = (first: number) => {
      const order = [first, ...[0, 1, 2].filter((index) => index !== first)];
      const hosts = order.map((index) => `127.0.0.1:${galera.nodes[index]?.port}`).join(",");
      return `mysql://root@${hosts}/orders`;
    };

    beforeAll(async () => {
      galera = await startGaleraCluster(3);
      const server = await rawSql(galera.nodes[0]?.serverUrl as string);
      await server.all("CREATE DATABASE orders");
      await server.close();
      await migrateDatabase(clusterUrl(0));
      store = await openStore(clusterUrl(0));
      crm = startCrmStandIn();
      crm.failureRate = 0.2;
    }, 180_000);

    afterAll(async () => {
      await crm?.stop();
      await store?.close();
      await galera?.stop();
    }, 60_000);

    /**
     * Customers buying through A and B (each step of a purchase on the other instance), an admin refunding half
     * of some paid orders three times at once from both, and a cancel racing a confirm, for SECONDS, while node
     * `victim` is killed after 4 s and brought back after 8 s.
     */
    async function loseANodeUnderLoad(firstNodes: [number, number], victim: number) {
      const shop: TwoServers = await startTwoServers(
        {
          JWT_SECRET,
          DB_TIMEOUT_MS: "2000",
          CRM_URL: crm.url,
          CRM_TIMEOUT_MS: "2000",
          CRM_WAIT_MS: "300",
          CRM_MAX_ATTEMPTS: "50",
          CRM_RETRY_BASE_MS: "100",
          CRM_RETRY_MAX_MS: "1000",
          CRM_POLL_INTERVAL_MS: "250",
        },
        [{ DATABASE_URL: clusterUrl(firstNodes[0]) }, { DATABASE_URL: clusterUrl(firstNodes[1]) }],
      );
      try {
        const server = (index: number) => (shop.servers[index % 2] as ServerProcess).url;
        const product = await store.createProduct({
          name: `Cluster product ${crypto.randomUUID()}`,
          description: "",
          priceMinor: PRICE,
          currency: "usd",
        });
        const config = testConfig({ JWT_SECRET });
        const makeShopper = async (role: "customer" | "admin", index: number) => {
          const user = await store.createUser({
            email: `cluster-${role}-${crypto.randomUUID()}@example.test`,
            name: "",
            passwordHash: "not used: tokens are issued directly",
            role,
          });
          const shopper = new Shopper(server(index), shop.simulator.url);
          shopper.token = await issueToken(config, user);
          return shopper;
        };
        const shoppers = await Promise.all(
          Array.from({ length: CUSTOMERS }, (_, index) => makeShopper("customer", index)),
        );
        const admins = [await makeShopper("admin", 0), await makeShopper("admin", 1)];

        const answers: StepResult[] = [];
        const keep = (result: StepResult) => {
          answers.push(result);
          return result;
        };
        const orderIds: number[] = [];
        const deadline = Date.now() + SECONDS * 1000;
        const outage = (async () => {
          await Bun.sleep(4000);
          await galera.kill(victim);
          await Bun.sleep(4000);
          return galera.rejoin(victim);
        })();
        await Promise.all(
          shoppers.map(async (shopper, index) => {
            for (let round = 0; Date.now() < deadline; round++) {
              shopper.apiUrl = server(index + round);
              const order = keep(await shopper.order(product.id));
              if (order.status !== 201) continue;
              orderIds.push(order.body.id);
              const checkout = keep(await shopper.createPayment(order.body.id));
              if (checkout.status !== 201) continue;
              await shopper.pay(checkout.body.session_id, round % 2 === 0);
              shopper.apiUrl = server(index + round + 1);
              if (round % 4 === 3) {
                // Cancelling on one instance while confirming on the other: one of them wins, cleanly.
                const canceller = new Shopper(server(index + round), shop.simulator.url);
                canceller.token = shopper.token;
                keep(
                  (
                    await Promise.all([
                      canceller.cancel(order.body.id),
                      shopper.confirm(order.body.id, checkout.body.session_id),
                    ])
                  )[0],
                );
                continue;
              }
              const confirmed = keep(await shopper.confirm(order.body.id, checkout.body.session_id));
              if (confirmed.body.status !== "paid" || index % 4 !== 0) continue;
              // Three refunds of half the price at once from both instances: two fit.
              const refunds = await Promise.all(
                [0, 1, 2].map((which) =>
                  (admins[which % 2] as Shopper).refund(order.body.id, { amount: (PRICE / 200).toFixed(2) }),
                ),
              );
              for (const refund of refunds) keep(refund);
            }
          }),
        );
        const rejoined = await outage;
        expect(rejoined.transfer).toBe("IST");

        const byStatus = new Map<number, number>();
        for (const answer of answers) byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1);
        console.log(
          `cluster (A writes through node ${firstNodes[0] + 1}, B through node ${firstNodes[1] + 1}, node ${victim + 1} killed and back by ${rejoined.transfer}): ${answers.length} API answers (${[...byStatus].map(([status, n]) => `${status}: ${n}`).join(", ")}), ${orderIds.length} orders`,
        );
        const unexpected = answers.filter(
          (answer) =>
            answer.status >= 500 &&
            !(
              answer.status === 503 &&
              answer.contentType === "application/problem+json" &&
              answer.body.request_id
            ),
        );
        expect(
          unexpected.map((answer) => `${answer.path} ${answer.status} ${JSON.stringify(answer.body)}`),
        ).toEqual([]);

        const sql = await createConnection({ uri: nodeUrl(0) });
        await sql.query("SET SESSION wsrep_sync_wait = 1");
        const count = async (query: string) => {
          const [[row]] = (await sql.query(query, [product.id])) as unknown as [[{ n: number }]];
          return Number(row.n);
        };
        // A refund Stripe made while the node that was to record it died is reconciled from Stripe's list of
        // the payment's refunds once the attempt is a minute old (server/refunds/service.ts).
        await waitFor(
          async () =>
            (await count(
              "SELECT COUNT(*) AS n FROM refunds r JOIN orders o ON o.id = r.order_id WHERE o.product_id = ? AND r.status = 'pending'",
            )) === 0,
          "every refund attempt to be settled",
          120_000,
        );
        await waitFor(
          async () =>
            (await count("SELECT COUNT(*) AS n FROM crm_events WHERE status <> 'success' AND ? > 0")) === 0,
          "every paid order and refund to reach the CRM",
          60_000,
        );
        const [orders] = (await sql.query(
          `SELECT o.id, o.status, o.amount_minor, o.refunded_minor, o.payment_intent_id,
                  COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.order_id = o.id AND r.status = 'succeeded'), 0) AS refunds_minor
             FROM orders o WHERE o.product_id = ?`,
          [product.id],
        )) as unknown as [
          {
            id: number;
            status: string;
            amount_minor: number;
            refunded_minor: number;
            payment_intent_id: string | null;
            refunds_minor: string;
          }[],
        ];
        const problems: string[] = [];
        for (const order of orders) {
          const posts = crm
            .postsFor(order.id)
            .filter((post) => post.status === 201 && post.idempotencyKey === `order-${order.id}-paid`).length;
          const expected = order.status === "paid" || order.status === "refunded" ? 1 : 0;
          if (posts !== expected) problems.push(`order ${order.id} (${order.status}) posted ${posts} times`);
          if (
            Number(order.refunds_minor) !== order.refunded_minor ||
            order.refunded_minor > order.amount_minor
          )
            problems.push(
              `order ${order.id}: refunded ${order.refunded_minor}, refunds ${order.refunds_minor}`,
            );
          if (order.payment_intent_id && order.refunded_minor > 0) {
            const atStripe = (await (
              await fetch(
                `${shop.simulator.url}/v1/refunds?payment_intent=${order.payment_intent_id}&limit=100`,
                {
                  headers: { Authorization: "Bearer sk_test_two_servers" },
                },
              )
            ).json()) as { data: { amount: number; status: string }[] };
            const refundedAtStripe = atStripe.data
              .filter((refund) => refund.status === "succeeded")
              .reduce((sum, refund) => sum + refund.amount, 0);
            if (refundedAtStripe !== order.refunded_minor)
              problems.push(
                `order ${order.id}: Stripe refunded ${refundedAtStripe}, the shop ${order.refunded_minor}`,
              );
          }
        }
        const [succeeded] = (await sql.query(
          "SELECT r.id FROM refunds r JOIN orders o ON o.id = r.order_id WHERE o.product_id = ? AND r.status = 'succeeded'",
          [product.id],
        )) as unknown as [{ id: number }[]];
        for (const refund of succeeded) {
          const posts = crm.received.filter(
            (post) => post.status === 201 && post.idempotencyKey === `refund-${refund.id}`,
          ).length;
          if (posts !== 1) problems.push(`refund ${refund.id} posted ${posts} times`);
        }
        expect(problems).toEqual([]);
        const [[counted]] = (await sql.query(
          "SELECT COUNT(*) AS total, SUM(status IN ('paid', 'refunded')) AS paid FROM orders",
        )) as unknown as [[{ total: number; paid: string }]];
        await sql.end();
        const summary = await store.summarizeOrders();
        expect({ total: summary.totalOrders, paid: summary.paidOrders }).toEqual({
          total: Number(counted.total),
          paid: Number(counted.paid),
        });
        const checksums = await nodeChecksums(galera, "orders", [
          "orders",
          "order_items",
          "refunds",
          "crm_events",
          "products",
        ]);
        expect(checksums[1]).toEqual(checksums[0]);
        expect(checksums[2]).toEqual(checksums[0]);
      } finally {
        await shop.stop();
      }
    }

    test("A and B writing through two different nodes, B's node killed and back: no 500, nothing lost or doubled, the nodes equal", async () => {
      await loseANodeUnderLoad([0, 1], 1);
    }, 180_000);

    test("A and B writing through the same node, that node killed and back: both move to the next, nothing lost or doubled", async () => {
      await loseANodeUnderLoad([0, 0], 0);
    }, 180_000);
  },
);
