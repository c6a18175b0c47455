import { expect, test } from "bun:test";
import { openStore } from "../../db/open-store.ts";
import {
  adminToken,
  apiClient,
  freshDatabase,
  rawSql,
  registerCustomer,
  storeTargets,
} from "../../tests/support.ts";
import { createApp } from "../app.ts";
import { testConfig } from "../config.ts";
import { bunPasswordHasher } from "../runtime/passwords.ts";

const DAY_MS = 86_400_000;
const SLOT_MS = 900_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

for (const target of storeTargets()) {
  target.describe(`a shop with no sales, or none for days, on ${target.name}`, () => {
    test("the products report answers before the first sale and after days without one", async () => {
      const database = await freshDatabase(target);
      const store = await openStore(database.url);
      try {
        const app = createApp({
          config: testConfig({ DATABASE_URL: database.url }),
          store,
          passwords: bunPasswordHasher,
          remoteAddress: () => "127.0.0.1",
        });
        const reports = apiClient(app, { token: await adminToken(app, store) }).reports;
        const from = isoDate(Date.now() - 10 * DAY_MS);
        const topProducts = async () => {
          const response = await reports.products.$get({ query: { from, tz: "UTC" } });
          expect(response.status).toBe(200);
          const body = await response.json();
          if (typeof body !== "object" || !("results" in body)) throw new Error("the report is not JSON");
          return body.results;
        };
        expect(await topProducts()).toEqual([]);

        // One sale five days ago, then a report that counts through yesterday.
        const customer = await registerCustomer(app);
        const product = await store.createProduct({
          name: "Quiet",
          description: "",
          priceMinor: 700,
          currency: "usd",
        });
        const order = await store.createOrder({
          userId: customer.userId,
          currency: "usd",
          lines: [{ productId: product.id, quantity: 1, unitPriceMinor: 700 }],
        });
        const saleDay = Math.floor((Date.now() - 5 * DAY_MS) / DAY_MS) * DAY_MS;
        const sql = await rawSql(database.url);
        await sql.all(
          "UPDATE orders SET created_at = ?, paid_at = ?, status = 'paid', payment_status = 'paid' WHERE id = ?",
          [new Date(saleDay + 3_600_000), new Date(saleDay + 3_600_000), order.id],
        );
        await store.rebuildReportRollups();
        const expected = [
          { product: { id: product.id, name: "Quiet" }, paid_orders: 1, quantity: 1, revenue: "7.00" },
        ];
        expect(await topProducts()).toEqual(expected);

        // As if that report had been made on the day of the sale: nothing was sold in the days since.
        await sql.all("UPDATE rollup_marks SET day_slot = ? WHERE name = 'product_running'", [
          saleDay / SLOT_MS,
        ]);
        await sql.close();
        expect(await topProducts()).toEqual(expected);
      } finally {
        await store.close();
        await database.drop();
      }
    });
  });
}
