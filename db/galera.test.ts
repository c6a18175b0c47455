import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type GaleraCluster, galeraSkipReason, nodeChecksums, startGaleraCluster } from "../tests/galera.ts";
import { rawSql } from "../tests/support.ts";
import type { DrizzleStore } from "./drizzle-store.ts";
import { migrateDatabase } from "./migrate-store.ts";
import { openStore } from "./open-store.ts";

const skipReason = galeraSkipReason();
const cluster = skipReason ? describe.skip : describe;

cluster(
  `the store on a 3-node MariaDB Galera cluster${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    let galera: GaleraCluster;
    let stores: DrizzleStore[] = [];
    const url = (node: number) => `${galera.nodes[node]?.serverUrl}/orders`;

    beforeAll(async () => {
      galera = await startGaleraCluster(3);
      const server = await rawSql(galera.nodes[0]?.serverUrl as string);
      await server.all("CREATE DATABASE orders");
      await server.close();
      await migrateDatabase(url(0));
      stores = [await openStore(url(0), { poolSize: 25 }), await openStore(url(1), { poolSize: 25 })];
    }, 180_000);
    afterAll(async () => {
      await Promise.all(stores.map((store) => store.close()));
      await galera?.stop();
    }, 60_000);

    test("an order written through one node is read at once through another (wsrep_sync_wait), and what that wait costs", async () => {
      const customer = await stores[0]?.createUser({
        email: `reader-${crypto.randomUUID()}@example.test`,
        name: "",
        passwordHash: "x",
        role: "customer",
      });
      const product = await stores[0]?.createProduct({
        name: `Read at once ${crypto.randomUUID()}`,
        description: "",
        priceMinor: 700,
        currency: "usd",
      });
      const unseen: number[] = [];
      for (let round = 0; round < 200; round++) {
        const order = await stores[0]?.createOrder({
          userId: customer?.id as number,
          currency: "usd",
          lines: [
            { productId: product?.id as number, quantity: 1, unitPriceMinor: 700, limitedStock: false },
          ],
        });
        const read = await stores[1]?.findCustomerOrder(order?.id as number, customer?.id as number);
        if (!read) unseen.push(order?.id as number);
      }
      expect(unseen).toEqual([]);

      // The same primary-key read on node 2, without and with the wait, while node 1 keeps writing.
      const perRead = async (syncWait: 0 | 1) => {
        const sql = await rawSql(url(1));
        await sql.all(`SET SESSION wsrep_sync_wait = ${syncWait}`);
        const writing = (async () => {
          for (let round = 0; round < 100; round++)
            await stores[0]?.createOrder({
              userId: customer?.id as number,
              currency: "usd",
              lines: [
                { productId: product?.id as number, quantity: 1, unitPriceMinor: 700, limitedStock: false },
              ],
            });
        })();
        const started = performance.now();
        for (let read = 0; read < 1000; read++)
          await sql.all("SELECT id FROM orders WHERE id = ?", [read + 1]);
        const micros = ((performance.now() - started) * 1000) / 1000;
        await writing;
        await sql.close();
        return micros;
      };
      const without = await perRead(0);
      const waiting = await perRead(1);
      console.log(
        `galera: a primary-key read on the other node takes ${without.toFixed(0)} µs without wsrep_sync_wait and ${waiting.toFixed(0)} µs with it, while the first node writes`,
      );
    }, 120_000);

    test("purchases on two writing nodes at once share no row: every order and payment commits, hardly any is run again, and all three nodes hold the same tables", async () => {
      const customer = await stores[0]?.createUser({
        email: "cluster@example.test",
        name: "",
        passwordHash: "x",
        role: "customer",
      });
      const product = await stores[0]?.createProduct({
        name: "Clustered",
        description: "",
        priceMinor: 500,
        currency: "usd",
      });
      const failures: string[] = [];
      const before = await stores[1]?.summarizeOrders();
      const retriedBefore = stores.map((store) => store.poolStats()?.deadlocksRetried ?? 0);
      await Promise.all(
        stores.flatMap((store) =>
          Array.from({ length: 20 }, async () => {
            for (let round = 0; round < 10; round++) {
              try {
                const order = await store.createOrder({
                  userId: customer?.id as number,
                  currency: "usd",
                  lines: [
                    {
                      productId: product?.id as number,
                      quantity: 1,
                      unitPriceMinor: 500,
                      limitedStock: false,
                    },
                  ],
                });
                const paid = await store.markOrderPaid(order.id, {
                  sessionId: `cs_cluster_${order.id}`,
                  paymentIntentId: `pi_cluster_${order.id}`,
                  paidAt: new Date(),
                });
                if (!paid) failures.push(`order ${order.id} not paid`);
              } catch (error) {
                failures.push(String(error).slice(0, 200));
              }
            }
          }),
        ),
      );
      expect(failures).toEqual([]);
      // The rows a trigger used to add every purchase to were shared by all: with them, 466 of 1,000 orders were
      // refused even after the retries and 1,531 of 2,000 statements ran again (docs/decisions/009). Now a retry is
      // the odd local lock conflict with the other node's replicated writes (0 to 20 of 800 transactions, more when
      // the machine is busy), and each succeeds. The product's stock is unlimited, so no purchase locks its row: a
      // locking read of it on one node is aborted by the other node's writes that check it as a parent
      // (docs/decisions/013-baskets-and-stock.md).
      const retried = stores.reduce(
        (sum, store, node) => sum + (store.poolStats()?.deadlocksRetried ?? 0) - (retriedBefore[node] ?? 0),
        0,
      );
      console.log(`galera: 800 transactions on two writing nodes, ${retried} run again`);
      expect(retried).toBeLessThanOrEqual(160);
      const summary = await stores[1]?.summarizeOrders();
      expect({
        total: (summary?.totalOrders ?? 0) - (before?.totalOrders ?? 0),
        paid: (summary?.paidOrders ?? 0) - (before?.paidOrders ?? 0),
      }).toEqual({ total: 400, paid: 400 });
      const checksums = await nodeChecksums(galera, "orders", [
        "orders",
        "order_totals",
        "order_slots",
        "product_slots",
      ]);
      expect(checksums[1]).toEqual(checksums[0]);
      expect(checksums[2]).toEqual(checksums[0]);
    }, 120_000);
  },
);
