import { expect, test } from "bun:test";
import { rawSql, storeTargets, useStore } from "../../tests/support.ts";
import { waitFor } from "../../tests/waiting.ts";
import { ReportFolder } from "./worker.ts";

const sqlite = storeTargets()[0];

sqlite?.describe("the report folder", () => {
  const db = useStore(sqlite);

  test("folds the orders changed since the last report in the background, without a report", async () => {
    const customer = await db.store.createUser({
      email: `folder-${crypto.randomUUID()}@example.test`,
      name: "",
      passwordHash: "x",
      role: "customer",
    });
    const product = await db.store.createProduct({
      name: "Folded",
      description: "",
      priceMinor: 500,
      currency: "usd",
    });
    await db.store.createOrder({
      userId: customer.id,
      currency: "usd",
      lines: [{ productId: product.id, quantity: 1, unitPriceMinor: 500 }],
    });
    const sql = await rawSql(db.url);
    const changed = async () =>
      Number(
        (await sql.all<{ n: number }>("SELECT COUNT(*) AS n FROM orders WHERE report_pending = 1"))[0]?.n,
      );
    expect(await changed()).toBe(1);
    const logs: unknown[] = [];
    const folder = new ReportFolder(db.store, (line) => logs.push(line), 20);
    folder.start();
    try {
      await waitFor(async () => (await changed()) === 0, "the changed order to be folded");
      const [totals] = await sql.all<{ orders: number }>(
        "SELECT SUM(orders) AS orders FROM order_totals WHERE currency = 'usd'",
      );
      expect(Number(totals?.orders)).toBe(1);
      expect(logs).toEqual([]);
    } finally {
      await folder.stop();
      await sql.close();
    }
  });
});
