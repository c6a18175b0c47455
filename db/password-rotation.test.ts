import { expect, test } from "bun:test";
import { mysqlTarget } from "../tests/support.ts";
import { migrateDatabase } from "./migrate-store.ts";
import { openStore } from "./open-store.ts";

const mysql = mysqlTarget();

/** An order written and paid through a store, as a purchase writes it. */
async function purchase(store: Awaited<ReturnType<typeof openStore>>, label: string) {
  const customer = await store.createUser({
    email: `rotation-${label}-${crypto.randomUUID().slice(0, 8)}@example.test`,
    name: "",
    passwordHash: "not used",
    role: "customer",
  });
  const product = await store.createProduct({
    name: `Rotation ${label} ${crypto.randomUUID()}`,
    description: "",
    priceMinor: 900,
    currency: "usd",
  });
  const order = await store.createOrder({
    userId: customer.id,
    currency: "usd",
    lines: [{ productId: product.id, quantity: 1, unitPriceMinor: 900 }],
  });
  return store.markOrderPaid(order.id, {
    sessionId: `cs_rotation_${order.id}`,
    paymentIntentId: null,
    paidAt: new Date(),
  });
}

mysql.describe("rotating the database password as docs/production.md says", () => {
  test("a second user, the app switched to it, the first dropped: every write keeps working", async () => {
    const rootUrl = new URL(mysql.url() as string);
    await migrateDatabase(rootUrl.toString());
    const database = rootUrl.pathname.slice(1);
    const { createConnection } = await import("mysql2/promise");
    const root = await createConnection(rootUrl.toString());
    const suffix = crypto.randomUUID().slice(0, 8);
    const userUrl = (user: string, password: string) => {
      const url = new URL(rootUrl);
      url.username = user;
      url.password = password;
      return url.toString();
    };
    const createUser = async (user: string, password: string) => {
      await root.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'`);
      await root.query(`GRANT ALL ON \`${database}\`.* TO '${user}'@'127.0.0.1'`);
    };
    const first = `orders_${suffix}`;
    const second = `orders2_${suffix}`;
    // A password of one's own, URL-encoded as the guide says.
    const firstPassword = "pa$ss#word-1";
    const secondPassword = crypto.randomUUID().replaceAll("-", "");
    try {
      await createUser(first, firstPassword);
      const before = await openStore(userUrl(first, firstPassword));
      expect(await purchase(before, "first user")).toBe(true);

      await createUser(second, secondPassword);
      const after = await openStore(userUrl(second, secondPassword));
      expect(await purchase(after, "second user, first still there")).toBe(true);
      await before.close();
      await root.query(`DROP USER '${first}'@'127.0.0.1'`);
      expect(await purchase(after, "first user dropped")).toBe(true);
      await after.close();
    } finally {
      await root.query(`DROP USER IF EXISTS '${first}'@'127.0.0.1', '${second}'@'127.0.0.1'`);
      await root.end();
    }
  }, 30_000);
});
