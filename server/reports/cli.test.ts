import { expect, test } from "bun:test";
import { openStore } from "../../db/open-store.ts";
import { freshDatabase, rawSql, storeTargets } from "../../tests/support.ts";

const sqlite = storeTargets()[0];

sqlite?.describe("bun run reports:rebuild", () => {
  test("counts an order placed by hand in SQL, which no rule saw, and says how long it took", async () => {
    const database = await freshDatabase(sqlite);
    const sql = await rawSql(database.url);
    try {
      const at = new Date("2025-06-01T10:00:00Z");
      await sql.all(
        "INSERT INTO users (email, name, password_hash, role, created_at) VALUES ('hand@example.test', '', 'x', 'customer', ?)",
        [at],
      );
      await sql.all(
        "INSERT INTO products (name, description, price_minor, currency, active, created_at, updated_at) VALUES ('Hand', '', 700, 'usd', 1, ?, ?)",
        [at, at],
      );
      // As a backfill would write it: the report flag left unset, so no report folds it.
      await sql.all(
        `INSERT INTO orders (user_id, product_id, quantity, unit_price_minor, amount_minor, currency, status, created_at,
          paid_at, payment_status, report_pending) VALUES (1, 1, 2, 700, 1400, 'usd', 'paid', ?, ?, 'paid', 0)`,
        [at, at],
      );
      const store = await openStore(database.url);
      try {
        expect((await store.summarizeOrders()).totalOrders).toBe(0);
        const rebuild = Bun.spawn(["bun", "run", "reports:rebuild"], {
          cwd: `${import.meta.dirname}/../..`,
          env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: "info" },
          stdout: "pipe",
          stderr: "pipe",
        });
        expect(await rebuild.exited).toBe(0);
        expect(await new Response(rebuild.stdout).text()).toContain('"msg":"report rollups rebuilt"');
        expect(await store.summarizeOrders()).toMatchObject({
          totalOrders: 1,
          paidOrders: 1,
          grossRevenueMinorByCurrency: { usd: 1400 },
        });
      } finally {
        await store.close();
      }
    } finally {
      await sql.close();
      await database.drop();
    }
  });
});
