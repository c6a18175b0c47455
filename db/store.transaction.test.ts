import { beforeAll, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { storeTargets, useStore } from "../tests/support.ts";
import { mysqlAdapter } from "./open-store.ts";
import type { Product, Store, User } from "./store.ts";

for (const target of storeTargets()) {
  target.describe(`store.transaction on ${target.name}`, () => {
    const db = useStore(target);
    let customer: User;
    let product: Product;
    beforeAll(async () => {
      customer = await db.store.createUser({
        email: `tx-${crypto.randomUUID()}@example.test`,
        name: "",
        passwordHash: "x",
        role: "customer",
      });
      product = await db.store.createProduct({
        name: "Transacted",
        description: "",
        priceMinor: 400,
        currency: "usd",
      });
    });
    const orderIn = (store: Store) =>
      store.createOrder({
        userId: customer.id,
        currency: "usd",
        lines: [{ productId: product.id, quantity: 1, unitPriceMinor: 400 }],
      });

    test("what the work writes commits together, and the work reads its own writes", async () => {
      const [first, second] = await db.store.transaction(async (tx) => {
        const made = [await orderIn(tx), await orderIn(tx)];
        expect(await tx.findOrder(made[0]?.id as number)).toMatchObject({ status: "pending" });
        expect(
          await tx.markOrderPaid(made[1]?.id as number, {
            sessionId: `cs_tx_${made[1]?.id}`,
            paymentIntentId: null,
            paidAt: new Date(),
          }),
        ).toBe(true);
        return made;
      });
      expect(await db.store.findOrder(first?.id as number)).toMatchObject({ status: "pending" });
      expect(await db.store.findOrder(second?.id as number)).toMatchObject({ status: "paid" });
    });

    test("a work that throws leaves nothing behind: no order, no payment, no refund reserved, nothing for the reports", async () => {
      const paid = await orderIn(db.store);
      await db.store.markOrderPaid(paid.id, {
        sessionId: `cs_tx_${paid.id}`,
        paymentIntentId: "pi_tx",
        paidAt: new Date(),
      });
      const before = await db.store.summarizeOrders();
      let made: number | undefined;
      const failure = await db.store
        .transaction(async (tx) => {
          made = (await orderIn(tx)).id;
          await tx.markOrderPaid(made, {
            sessionId: `cs_tx_${made}`,
            paymentIntentId: null,
            paidAt: new Date(),
          });
          const reserved = await tx.reserveRefund({
            orderId: paid.id,
            attemptKey: crypto.randomUUID(),
            paymentIntentId: "pi_tx",
            appliesToOrder: true,
            amountMinor: 400,
            currency: "usd",
            reason: "requested_by_customer",
          });
          expect(reserved).toBeDefined();
          throw new Error("changed my mind");
        })
        .catch((error: Error) => error.message);
      expect(failure).toBe("changed my mind");
      expect(made).toBeDefined();
      expect(await db.store.findOrder(made as number)).toBeUndefined();
      expect(await db.store.findOrder(paid.id)).toMatchObject({
        refundReservedMinor: 0,
        refundCount: 0,
        refunds: [],
      });
      expect(await db.store.summarizeOrders()).toEqual(before);
    });
  });
}

const mysql = storeTargets()[1];

mysql?.describe("store.transaction on mysql, in a deadlock", () => {
  const db = useStore(mysql);

  test("the transaction the database picks as the victim is run again from the start, and both end", async () => {
    const customer = await db.store.createUser({
      email: `deadlock-${crypto.randomUUID()}@example.test`,
      name: "",
      passwordHash: "x",
      role: "customer",
    });
    const product = await db.store.createProduct({
      name: "Locked",
      description: "",
      priceMinor: 100,
      currency: "usd",
    });
    const order = () =>
      db.store.createOrder({
        userId: customer.id,
        currency: "usd",
        lines: [{ productId: product.id, quantity: 1, unitPriceMinor: 100 }],
      });
    const [a, b] = [await order(), await order()];
    const retriedBefore = db.store.poolStats()?.deadlocksRetried ?? 0;
    // Each locks one order, waits until the other has locked the other one, then wants it: a lock cycle.
    let locked = 0;
    const bothLocked = async () => {
      locked++;
      while (locked < 2) await Bun.sleep(5);
    };
    const attempts = { first: 0, second: 0 };
    const crossing = (name: keyof typeof attempts, mine: number, theirs: number) =>
      db.store.transaction(async (tx) => {
        attempts[name]++;
        await tx.cancelOrder(mine, new Date());
        if (attempts[name] === 1) await bothLocked();
        await tx.cancelOrder(theirs, new Date());
        return name;
      });
    expect(await Promise.all([crossing("first", a.id, b.id), crossing("second", b.id, a.id)])).toEqual([
      "first",
      "second",
    ]);
    expect(attempts.first + attempts.second).toBe(3);
    expect((db.store.poolStats()?.deadlocksRetried ?? 0) - retriedBefore).toBe(1);
    expect(await db.store.findOrder(a.id)).toMatchObject({ status: "cancelled" });
    expect(await db.store.findOrder(b.id)).toMatchObject({ status: "cancelled" });
  });
});

mysql?.describe("the store's MySQL connections", () => {
  const db = useStore(mysql);

  test("read committed, in transactions and out: no gap lock for rivals changing orders' status to deadlock on (decision 012)", async () => {
    const adapter = mysqlAdapter(db.url, { poolSize: 2 });
    try {
      const level = sql`select @@tx_isolation as level`;
      const outside = await adapter.rows<{ level: string }>(level);
      const inside = await adapter.transaction((tx) => adapter.rows<{ level: string }>(level, tx));
      expect([outside[0]?.level, inside[0]?.level]).toEqual(["READ-COMMITTED", "READ-COMMITTED"]);
    } finally {
      await adapter.close();
    }
  });
});

const sqlite = storeTargets()[0];

sqlite?.describe("store.transaction on sqlite, beside lone writes", () => {
  const db = useStore(sqlite);

  test("a write made while a transaction is open waits for it, and is kept when the transaction rolls back", async () => {
    let resume = () => {};
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    const email = `beside-${crypto.randomUUID()}@example.test`;
    let madeInside: string | undefined;
    // The work waits on something that is not the database only to let the lone write come in between.
    const rolledBack = db.store
      .transaction(async (tx) => {
        madeInside = (
          await tx.createUser({ email: `inside-${email}`, name: "", passwordHash: "x", role: "customer" })
        ).email;
        await paused;
        throw new Error("rolled back");
      })
      .catch((error: Error) => error.message);
    await Bun.sleep(10);
    let loneWriteDone = false;
    const lone = db.store
      .createUser({ email, name: "", passwordHash: "x", role: "customer" })
      .then((user) => {
        loneWriteDone = true;
        return user;
      });
    await Bun.sleep(20);
    expect(loneWriteDone).toBe(false);
    resume();
    expect(await rolledBack).toBe("rolled back");
    expect((await lone).email).toBe(email);
    expect(madeInside).toBe(`inside-${email}`);
    expect(await db.store.findUserByEmail(`inside-${email}`)).toBeUndefined();
    expect(await db.store.findUserByEmail(email)).toMatchObject({ email });
  });
});
