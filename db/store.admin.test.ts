import { expect, test } from "bun:test";
import { storeTargets, uniqueEmail, useStore } from "../tests/support.ts";
import type { OrderFilter } from "./store.ts";

/** The Store methods behind the admin page, on SQLite always and on MySQL when TEST_MYSQL_URL is set. */
for (const target of storeTargets()) {
  target.describe(`Store administration on ${target.name}`, () => {
    const db = useStore(target);
    const newUser = () =>
      db.store.createUser({
        email: uniqueEmail(),
        name: "Test",
        passwordHash: "$argon2id$old",
        role: "customer",
      });
    const newProduct = (active = true) =>
      db.store.createProduct({
        name: `Admin store ${crypto.randomUUID()}`,
        description: "d",
        priceMinor: 500,
        currency: "usd",
        active,
      });
    const newOrder = async (productId?: number) => {
      const owner = await newUser();
      return db.store.createOrder({
        userId: owner.id,
        currency: "usd",
        lines: [{ productId: productId ?? (await newProduct()).id, quantity: 2, unitPriceMinor: 500 }],
      });
    };
    const pay = (orderId: number) =>
      db.store.markOrderPaid(orderId, {
        sessionId: `cs_test_admin_store_${orderId}`,
        paymentIntentId: null,
        paidAt: new Date(),
      });
    const failSync = async (orderId: number) => {
      const lease = new Date(Date.now() + 60_000);
      expect(await db.store.claimCrmEvent({ kind: "order", subjectId: orderId }, new Date(), lease)).toBe(
        true,
      );
      await db.store.recordCrmFailure({ kind: "order", subjectId: orderId }, lease, {
        error: "HTTP 500",
        attempts: 8,
        nextAttemptAt: null,
      });
    };
    const countOf = async (filter: OrderFilter) =>
      (await db.store.listOrders(filter, { limit: 1, offset: 0 })).count;

    test("promoteToAdmin makes a user an admin with the given password hash", async () => {
      const user = await newUser();
      await db.store.promoteToAdmin(user.id, "$argon2id$new");
      expect(await db.store.findUserById(user.id)).toMatchObject({
        role: "admin",
        passwordHash: "$argon2id$new",
      });
    });

    test("listProducts pages every product, active or not, newest first, with their count", async () => {
      const before = (await db.store.listProducts({ limit: 1, offset: 0 })).count;
      const active = await newProduct(true);
      const inactive = await newProduct(false);
      const page = await db.store.listProducts({ limit: 2, offset: 0 });
      expect(page.count).toBe(before + 2);
      expect(page.rows.map((product) => product.id)).toEqual([inactive.id, active.id]);
      const next = await db.store.listProducts({ limit: 1, offset: 1 });
      expect(next.rows.map((product) => product.id)).toEqual([active.id]);
    });

    test("updateProduct changes every field and answers the product; a missing one is undefined", async () => {
      const product = await newProduct();
      const updated = await db.store.updateProduct(product.id, {
        name: `Renamed ${crypto.randomUUID()}`,
        description: "new description",
        priceMinor: 12_345,
        currency: "jpy",
        active: false,
      });
      expect(updated).toMatchObject({
        id: product.id,
        description: "new description",
        priceMinor: 12_345,
        currency: "jpy",
        active: false,
        createdAt: product.createdAt,
      });
      expect(updated?.updatedAt.getTime()).toBeGreaterThanOrEqual(product.updatedAt.getTime());
      expect(await db.store.findProduct(product.id)).toEqual(updated);
      expect(await db.store.updateProduct(999_999_999, { ...product, active: true })).toBeUndefined();
    });

    test("removeProduct erases a product no order refers to, deactivates one with orders, and says which", async () => {
      const unused = await newProduct();
      expect(await db.store.removeProduct(unused.id)).toBe("deleted");
      expect(await db.store.findProduct(unused.id)).toBeUndefined();
      expect(await db.store.removeProduct(unused.id)).toBe("missing");

      const ordered = await newProduct();
      const order = await newOrder(ordered.id);
      expect(await db.store.removeProduct(ordered.id)).toBe("deactivated");
      expect((await db.store.findProduct(ordered.id))?.active).toBe(false);
      expect((await db.store.findOrder(order.id))?.product).toMatchObject({
        id: ordered.id,
        name: ordered.name,
      });
      expect(await db.store.removeProduct(ordered.id)).toBe("deactivated");
    });

    test("listOrders pages every order newest first, filtered by payment status and by the CRM status of paid orders", async () => {
      const filters: OrderFilter[] = [
        {},
        { status: "pending" },
        { status: "paid" },
        { crmSyncStatus: "pending" },
        { crmSyncStatus: "failed" },
        { status: "paid", crmSyncStatus: "failed" },
        { status: "pending", crmSyncStatus: "pending" },
      ];
      const before = await Promise.all(filters.map(countOf));
      const unpaid = await newOrder();
      const syncing = await newOrder();
      await pay(syncing.id);
      const failed = await newOrder();
      await pay(failed.id);
      await failSync(failed.id);
      const after = await Promise.all(filters.map(countOf));
      expect(after.map((count, index) => count - (before[index] ?? 0))).toEqual([3, 1, 2, 1, 1, 1, 0]);

      const ids = async (filter: OrderFilter, limit: number, offset = 0) =>
        (await db.store.listOrders(filter, { limit, offset })).rows.map((order) => order.id);
      expect(await ids({}, 3)).toEqual([failed.id, syncing.id, unpaid.id]);
      expect(await ids({}, 1, 1)).toEqual([syncing.id]);
      expect(await ids({ status: "pending" }, 1)).toEqual([unpaid.id]);
      expect(await ids({ status: "paid" }, 2)).toEqual([failed.id, syncing.id]);
      expect(await ids({ crmSyncStatus: "pending" }, 1)).toEqual([syncing.id]);
      expect(await ids({ crmSyncStatus: "failed" }, 1)).toEqual([failed.id]);

      const [row] = (await db.store.listOrders({ crmSyncStatus: "failed" }, { limit: 1, offset: 0 })).rows;
      expect(row).toMatchObject({
        customerEmail: (await db.store.findOrder(failed.id))?.customerEmail,
        product: { id: failed.productId },
        crmAttempts: 8,
        crmLastError: "HTTP 500",
      });
    });

    test("requestCrmResync puts a failed sync back in the queue, keeping its attempt count, and nothing else", async () => {
      const failed = await newOrder();
      await pay(failed.id);
      await failSync(failed.id);
      const now = new Date();
      expect(await db.store.requestCrmResync({ kind: "order", subjectId: failed.id }, now)).toBe(true);
      expect(await db.store.findOrder(failed.id)).toMatchObject({
        crmSyncStatus: "pending",
        crmAttempts: 8,
        crmNextAttemptAt: now,
      });
      expect(await db.store.requestCrmResync({ kind: "order", subjectId: failed.id }, now)).toBe(false);
      const syncing = await newOrder();
      await pay(syncing.id);
      expect(await db.store.requestCrmResync({ kind: "order", subjectId: syncing.id }, now)).toBe(false);
      expect(await db.store.requestCrmResync({ kind: "order", subjectId: (await newOrder()).id }, now)).toBe(
        false,
      );
    });
  });
}
