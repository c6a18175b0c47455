import { afterAll, beforeAll, expect, test } from "bun:test";
import { freshDatabase, rawSql, storeTargets } from "../tests/support.ts";
import type { DrizzleStore } from "./drizzle-store.ts";
import { openStore } from "./open-store.ts";

const CURRENCY = "usd";

for (const target of storeTargets()) {
  target.describe(`report rollups under concurrent writes on ${target.name}`, () => {
    /** A database of its own: two instances on it (MySQL; SQLite serves one process, so one store there). */
    const db = {} as { url: string; drop(): Promise<void>; store: DrizzleStore };
    let other: DrizzleStore;
    beforeAll(async () => {
      Object.assign(db, await freshDatabase(target));
      db.store = await openStore(db.url, { poolSize: 20 });
      other = target.name === "mysql" ? await openStore(db.url, { poolSize: 20 }) : db.store;
    });
    afterAll(async () => {
      if (other !== db.store) await other.close();
      await db.store.close();
      await db.drop();
    });

    test("purchases, cancellations and refunds through two instances while both fold for reports: every figure equals a count over the orders", async () => {
      const stores = [db.store, other];
      const customer = await db.store.createUser({
        email: `rollups-${crypto.randomUUID()}@example.test`,
        name: "",
        passwordHash: "x",
        role: "customer",
      });
      const products = await Promise.all(
        [300, 700, 1100].map((priceMinor, index) =>
          db.store.createProduct({
            name: `Rollup ${index}`,
            description: "",
            priceMinor,
            currency: CURRENCY,
          }),
        ),
      );
      let buying = true;
      const reporters = stores.map(async (store) => {
        let reports = 0;
        while (buying) {
          await store.summarizeOrders();
          await store.salesByLocalDay([{ fromSlot: 0, toSlot: 10_000_000, offsetSlots: 0 }]);
          reports++;
        }
        return reports;
      });
      const shoppers = Array.from({ length: 16 }, async (_, shopper) => {
        for (let round = 0; round < 6; round++) {
          const store = stores[(shopper + round) % 2] as DrizzleStore;
          const product = products[(shopper + round) % products.length] as (typeof products)[number];
          const quantity = 1 + (round % 3);
          const order = await store.createOrder({
            userId: customer.id,
            currency: CURRENCY,
            lines: [{ productId: product.id, quantity, unitPriceMinor: product.priceMinor }],
          });
          if (round % 4 === 3) {
            await store.cancelOrder(order.id, new Date());
            continue;
          }
          const paid = await store.markOrderPaid(order.id, {
            sessionId: `cs_test_rollups_${order.id}`,
            paymentIntentId: `pi_test_rollups_${order.id}`,
            paidAt: new Date(),
          });
          expect(paid).toBe(true);
          if (round % 2 !== 0) continue;
          // Two refunds of half the payment at once from both instances: the order ends refunded.
          await Promise.all(
            stores.map(async (refunding) => {
              const attempt = await refunding.reserveRefund({
                orderId: order.id,
                attemptKey: crypto.randomUUID(),
                paymentIntentId: `pi_test_rollups_${order.id}`,
                appliesToOrder: true,
                amountMinor: order.amountMinor / 2,
                currency: CURRENCY,
                reason: "requested_by_customer",
              });
              if (!attempt) throw new Error("a half refund was refused");
              await refunding.recordStripeRefund(
                {
                  stripeRefundId: `re_test_${attempt.attemptKey}`,
                  attemptKey: attempt.attemptKey,
                  status: "succeeded",
                  failure: null,
                  orderId: order.id,
                  paymentIntentId: `pi_test_rollups_${order.id}`,
                  appliesToOrder: true,
                  amountMinor: attempt.amountMinor,
                  currency: CURRENCY,
                  reason: "requested_by_customer",
                  createdAt: new Date(),
                },
                new Date(),
              );
            }),
          );
        }
      });
      await Promise.all(shoppers);
      buying = false;
      expect(Math.min(...(await Promise.all(reporters)))).toBeGreaterThan(0);

      const summary = await other.summarizeOrders();
      const sales = await db.store.salesByLocalDay([{ fromSlot: 0, toSlot: 10_000_000, offsetSlots: 0 }]);
      const sql = await rawSql(db.url);
      const [counted] = await sql.all<Record<string, number | string>>(
        `SELECT COUNT(*) AS orders, SUM(CASE WHEN status IN ('paid', 'refunded') THEN amount_minor ELSE 0 END) AS gross,
          SUM(refunded_minor) AS refunded, SUM(CASE WHEN status = 'refunded' THEN 1 ELSE 0 END) AS fully_refunded,
          SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled
         FROM orders WHERE currency = ? AND user_id = ?`,
        [CURRENCY, customer.id],
      );
      const [all] = await sql.all<{ n: number }>("SELECT COUNT(*) AS n FROM orders");
      await sql.close();
      expect(Number(counted?.orders)).toBe(16 * 6);
      expect(Number(counted?.fully_refunded)).toBe(16 * 3);
      expect(Number(counted?.cancelled)).toBe(16);
      expect({
        total: summary.totalOrders,
        gross: summary.grossRevenueMinorByCurrency[CURRENCY],
        refunded: summary.refundedMinorByCurrency[CURRENCY],
      }).toEqual({
        total: Number(all?.n),
        gross: Number(counted?.gross),
        refunded: Number(counted?.refunded),
      });
      const ours = sales.filter((day) => day.currency === CURRENCY);
      const sum = (pick: (day: (typeof ours)[number]) => number) => ours.reduce((a, day) => a + pick(day), 0);
      expect({
        orders: sum((day) => day.orders),
        revenue: sum((day) => day.revenueMinor),
        refunds: sum((day) => day.refundsMinor),
      }).toEqual({
        orders: 16 * 6,
        revenue: Number(counted?.gross),
        refunds: Number(counted?.refunded),
      });
    }, 60_000);
  });
}
