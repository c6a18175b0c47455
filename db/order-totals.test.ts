import { expect, test } from "bun:test";
import { customerWithOrder, registerCustomer, storeTargets, useApp } from "../server/test-support.ts";
import type { Store } from "./store.ts";

/** What the report must equal: a count made directly over the orders table, in SQL. */
async function countedInSql(url: string) {
  const query =
    "SELECT currency, status, COUNT(*) AS orders, COALESCE(SUM(amount_minor), 0) AS amount FROM orders GROUP BY currency, status";
  let rows: { currency: string; status: string; orders: number | string; amount: number | string }[];
  if (url.startsWith("mysql://")) {
    const { createConnection } = await import("mysql2/promise");
    const connection = await createConnection(url);
    [rows] = (await connection.query(query)) as unknown as [typeof rows];
    await connection.end();
  } else {
    const { Database } = await import("bun:sqlite");
    const sqlite = new Database(url.slice("file:".length), { readonly: true });
    rows = sqlite.query(query).all() as typeof rows;
    sqlite.close();
  }
  const totals = { totalOrders: 0, paidOrders: 0, pendingOrders: 0, paidUsd: 0 };
  for (const row of rows) {
    totals.totalOrders += Number(row.orders);
    if (row.status === "paid") totals.paidOrders += Number(row.orders);
    else totals.pendingOrders += Number(row.orders);
    if (row.status === "paid" && row.currency === "usd") totals.paidUsd += Number(row.amount);
  }
  return totals;
}

async function reported(store: Store) {
  const summary = await store.summarizeOrders();
  return {
    totalOrders: summary.totalOrders,
    paidOrders: summary.paidOrders,
    pendingOrders: summary.pendingOrders,
    paidUsd: summary.revenueMinorByCurrency.usd ?? 0,
  };
}

for (const target of storeTargets()) {
  target.describe(`order totals on ${target.name}`, () => {
    const stack = useApp(target);

    test("the summary equals a direct SQL count after every insert, payment, repeated payment and status change", async () => {
      const url = stack.config.DATABASE_URL;
      const before = await reported(stack.store);
      const { order, product } = await customerWithOrder(stack, { priceMinor: 1250, quantity: 3 });
      expect(await reported(stack.store)).toEqual(await countedInSql(url));
      expect((await reported(stack.store)).totalOrders).toBe(before.totalOrders + 1);

      await stack.store.markOrderPaid(order.id, {
        sessionId: `cs_test_totals_${order.id}`,
        paymentIntentId: null,
        paidAt: new Date(),
      });
      await stack.store.markOrderPaid(order.id, {
        sessionId: `cs_test_totals_${order.id}`,
        paymentIntentId: null,
        paidAt: new Date(),
      });
      const afterPayment = await reported(stack.store);
      expect(afterPayment).toEqual(await countedInSql(url));
      expect(afterPayment.paidUsd - before.paidUsd).toBe(3750);

      const other = await registerCustomer(stack.app);
      const second = await stack.store.createOrder({
        userId: other.userId,
        productId: product.id,
        quantity: 1,
        unitPriceMinor: 1250,
        amountMinor: 1250,
        currency: "usd",
      });
      await stack.store.recordPaymentStatus(second.id, "cs_none", "expired");
      expect(await reported(stack.store)).toEqual(await countedInSql(url));
    });
  });
}
