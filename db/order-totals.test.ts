import { expect, test } from "bun:test";
import { customerWithOrder, rawSql, registerCustomer, storeTargets, useApp } from "../tests/support.ts";
import type { Store } from "./store.ts";

/** What the report must equal: a count made directly over the orders table, in SQL. */
async function countedInSql(url: string) {
  const query =
    "SELECT currency, status, COUNT(*) AS orders, COALESCE(SUM(amount_minor), 0) AS amount, COALESCE(SUM(refunded_minor), 0) AS refunded FROM orders GROUP BY currency, status";
  let rows: {
    currency: string;
    status: string;
    orders: number | string;
    amount: number | string;
    refunded: number | string;
  }[];
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
  const totals = {
    totalOrders: 0,
    paidOrders: 0,
    pendingOrders: 0,
    cancelledOrders: 0,
    paidUsd: 0,
    refundedUsd: 0,
  };
  for (const row of rows) {
    const paid = row.status === "paid" || row.status === "refunded";
    totals.totalOrders += Number(row.orders);
    if (paid) totals.paidOrders += Number(row.orders);
    else if (row.status === "cancelled") totals.cancelledOrders += Number(row.orders);
    else totals.pendingOrders += Number(row.orders);
    if (paid && row.currency === "usd") {
      totals.paidUsd += Number(row.amount) - Number(row.refunded);
      totals.refundedUsd += Number(row.refunded);
    }
  }
  return totals;
}

async function reported(store: Store) {
  const summary = await store.summarizeOrders();
  return {
    totalOrders: summary.totalOrders,
    paidOrders: summary.paidOrders,
    pendingOrders: summary.pendingOrders,
    cancelledOrders: summary.cancelledOrders,
    paidUsd: summary.revenueMinorByCurrency.usd ?? 0,
    refundedUsd: summary.refundedMinorByCurrency.usd ?? 0,
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
        currency: "usd",
        lines: [{ productId: product.id, quantity: 1, unitPriceMinor: 1250 }],
      });
      await stack.store.recordPaymentStatus(second.id, "cs_none", "expired");
      expect(await reported(stack.store)).toEqual(await countedInSql(url));
    });
  });
}

/**
 * The slot rollups summed over all time must equal the orders table itself (the product slots, its paid orders'
 * lines), once the changed rows are folded.
 */
async function slotsAgainstOrders(url: string) {
  const sql = await rawSql(url);
  const one = async (statement: string) => {
    const [row] = await sql.all<Record<string, number | string | null>>(statement);
    return Object.fromEntries(Object.entries(row ?? {}).map(([key, value]) => [key, Number(value ?? 0)]));
  };
  const result = {
    slots: await one(
      "SELECT SUM(orders) AS orders, SUM(paid_orders) AS paid, SUM(revenue_minor) AS revenue FROM order_slots",
    ),
    orders: await one(
      "SELECT COUNT(*) AS orders, COUNT(paid_at) AS paid, SUM(CASE WHEN paid_at IS NULL THEN 0 ELSE amount_minor END) AS revenue FROM orders",
    ),
    productSlots: await one(
      "SELECT SUM(paid_orders) AS paid, SUM(quantity) AS quantity, SUM(revenue_minor) AS revenue FROM product_slots",
    ),
    // A product's slot counts each paid order once per line of it: a basket of two products counts in two.
    paidLines: await one(
      "SELECT COUNT(*) AS paid, SUM(i.quantity) AS quantity, SUM(i.amount_minor) AS revenue FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.paid_at IS NOT NULL",
    ),
    changed: await one("SELECT COUNT(*) AS n FROM orders WHERE report_pending = 1"),
  };
  await sql.close();
  return result;
}

for (const target of storeTargets()) {
  target.describe(`report slot rollups on ${target.name}`, () => {
    const stack = useApp(target);
    const expectFoldedInStep = async () => {
      const { slots, orders, productSlots, paidLines, changed } = await slotsAgainstOrders(
        stack.config.DATABASE_URL,
      );
      expect(changed.n).toBe(0);
      expect(slots).toEqual(orders);
      expect(productSlots).toEqual(paidLines);
    };
    const changedOrders = async () => (await slotsAgainstOrders(stack.config.DATABASE_URL)).changed.n;

    test("an insert, a payment and a repeated payment flag their order; a report folds them and then equals the orders table", async () => {
      const { order } = await customerWithOrder(stack, { priceMinor: 1250, quantity: 3 });
      expect(await changedOrders()).toBeGreaterThan(0);
      await stack.store.summarizeOrders();
      await expectFoldedInStep();
      const paidAt = new Date();
      for (const _ of [1, 2])
        await stack.store.markOrderPaid(order.id, {
          sessionId: `cs_test_slots_${order.id}`,
          paymentIntentId: null,
          paidAt,
        });
      expect(await changedOrders()).toBe(1);
      await stack.store.summarizeOrders();
      await expectFoldedInStep();
    });

    test("a change made by hand in SQL, which no rule sees, is counted once the rollups are rebuilt", async () => {
      const { order } = await customerWithOrder(stack, { priceMinor: 1250, quantity: 3 });
      await stack.store.markOrderPaid(order.id, {
        sessionId: `cs_test_rebuild_${order.id}`,
        paymentIntentId: null,
        paidAt: new Date(),
      });
      const sql = await rawSql(stack.config.DATABASE_URL);
      await sql.all("UPDATE orders SET created_at = ?, paid_at = ? WHERE id = ?", [
        new Date("2020-01-01T00:07:00Z"),
        new Date("2020-01-02T23:59:00Z"),
        order.id,
      ]);
      await stack.store.rebuildReportRollups();
      await expectFoldedInStep();
      await sql.all("DELETE FROM orders WHERE id = ?", [order.id]);
      await sql.close();
      await stack.store.rebuildReportRollups();
      await expectFoldedInStep();
      expect(await reported(stack.store)).toEqual(await countedInSql(stack.config.DATABASE_URL));
    });
  });
}
