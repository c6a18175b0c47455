import { expect, test } from "bun:test";
import { rawSql, storeTargets, uniqueEmail, useStore } from "../tests/support.ts";
import { EmailTakenError } from "./store.ts";

/** The Store contract: every adapter (SQLite always, MySQL when TEST_MYSQL_URL is set) behaves the same. */
for (const target of storeTargets()) {
  target.describe(`Store contract on ${target.name}`, () => {
    const db = useStore(target);
    const newUser = (email = uniqueEmail()) =>
      db.store.createUser({ email, name: "Test", passwordHash: "$argon2id$x", role: "customer" });
    const newProduct = (active = true) =>
      db.store.createProduct({
        name: `Contract ${crypto.randomUUID()}`,
        description: "d",
        priceMinor: 1234,
        currency: "usd",
        active,
      });

    /** A pending order of one item, for a new customer and a new product. */
    const newOrder = async () => {
      const [owner, product] = await Promise.all([newUser(), newProduct()]);
      return db.store.createOrder({
        userId: owner.id,
        currency: "usd",
        lines: [{ productId: product.id, quantity: 1, unitPriceMinor: 1234 }],
      });
    };

    test("users: created lower-cased, found by email in any case and by id, deleted", async () => {
      const email = uniqueEmail("MiXeD");
      const user = await newUser(email);
      expect(user).toMatchObject({ email: email.toLowerCase(), role: "customer", name: "Test" });
      expect(user.createdAt).toBeInstanceOf(Date);
      expect(Math.abs(user.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
      expect((await db.store.findUserByEmail(email.toUpperCase()))?.id).toBe(user.id);
      expect((await db.store.findUserById(user.id))?.email).toBe(email.toLowerCase());
      expect(await db.store.deleteUser(user.id)).toBe(true);
      expect(await db.store.findUserById(user.id)).toBeUndefined();
      expect(await db.store.deleteUser(user.id)).toBe(false);
    });

    test("users: a duplicate email in another case is an EmailTakenError", async () => {
      const email = uniqueEmail();
      await newUser(email);
      expect(newUser(email.toUpperCase())).rejects.toBeInstanceOf(EmailTakenError);
    });

    test("products: listActiveProducts pages active products by id with their count", async () => {
      const a = await newProduct();
      await newProduct(false);
      const b = await newProduct();
      const { count } = await db.store.listActiveProducts({ limit: 1, offset: 0 });
      const tail = await db.store.listActiveProducts({ limit: 2, offset: count - 2 });
      expect(tail.count).toBe(count);
      expect(tail.rows.map((product) => product.id)).toEqual([a.id, b.id]);
      expect(tail.rows.every((product) => product.active)).toBe(true);
      expect(await db.store.findProduct(a.id)).toEqual(a);
      expect(await db.store.findProduct(999_999_999)).toBeUndefined();
      expect((await db.store.findProductByName(a.name))?.id).toBe(a.id);
    });

    test("products: first, middle, last, short and out-of-range pages all report the same count", async () => {
      await newProduct();
      await newProduct(false);
      await newProduct();
      const { count } = await db.store.listActiveProducts({ limit: 1, offset: 0 });
      for (const offset of [0, 1, count - 3, count - 2, count - 1, count, count + 40]) {
        const page = await db.store.listActiveProducts({ limit: 2, offset: Math.max(0, offset) });
        expect({ offset, count: page.count }).toEqual({ offset, count });
        expect(page.rows).toHaveLength(Math.max(0, Math.min(2, count - Math.max(0, offset))));
      }
    });

    test("orders: created pending, found for their owner only, listed newest first", async () => {
      const owner = await newUser();
      const stranger = await newUser();
      const product = await newProduct();
      const input = (quantity: number) => ({
        userId: owner.id,
        currency: "usd",
        lines: [{ productId: product.id, quantity, unitPriceMinor: 1234 }],
      });
      const first = await db.store.createOrder(input(1));
      const second = await db.store.createOrder(input(2));
      expect(Math.abs(second.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
      expect(second).toMatchObject({
        status: "pending",
        quantity: 2,
        amountMinor: 2468,
        customerEmail: owner.email,
        product: { id: product.id, name: product.name, priceMinor: 1234, currency: "usd" },
        crmSyncStatus: "pending",
        paymentStatus: "unpaid",
        paidAt: null,
      });
      // Told the product and the email, the store answers from the insert: exactly what a read would give.
      const known = await db.store.createOrder(input(3), {
        products: [second.product],
        customerEmail: owner.email,
      });
      expect(known).toEqual((await db.store.findOrder(known.id)) as typeof known);
      await db.store.cancelOrder(known.id, new Date());
      expect((await db.store.findOrderForUser(first.id, owner.id))?.id).toBe(first.id);
      expect(await db.store.findOrderForUser(first.id, stranger.id)).toBeUndefined();
      const page = await db.store.listOrdersForUser(owner.id, { limit: 10, offset: 0 });
      expect(page.count).toBe(3);
      expect(page.rows.map((order) => order.id)).toEqual([known.id, second.id, first.id]);
    });

    test("payments: markOrderPaid transitions once and schedules the CRM sync", async () => {
      const order = await newOrder();
      const session = `cs_test_contract_${order.id}`;
      expect(
        await db.store.attachPaymentSession(order.id, {
          id: session,
          expiresAt: new Date(Date.now() + 3_600_000),
        }),
      ).toBe(true);
      const paidAt = new Date("2026-01-02T03:04:05.678Z");
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          db.store.markOrderPaid(order.id, { sessionId: session, paymentIntentId: "pi_1", paidAt }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await db.store.findOrder(order.id)).toMatchObject({
        status: "paid",
        paidAt,
        paymentIntentId: "pi_1",
        paymentStatus: "paid",
        crmSyncStatus: "pending",
        crmNextAttemptAt: paidAt,
      });
      expect(
        await db.store.attachPaymentSession(order.id, { id: `${session}_2`, expiresAt: new Date() }),
      ).toBe(false);
      expect(await db.store.recordPaymentStatus(order.id, session, "expired")).toBe(false);
    });

    test("crm outbox: the payment writes the order's one event, or nothing at all", async () => {
      const order = await newOrder();
      const payment = { sessionId: `cs_test_outbox_${order.id}`, paymentIntentId: null, paidAt: new Date() };
      const sql = await rawSql(db.url);
      try {
        // An event already there makes the event's write fail: the payment goes with it.
        await sql.all(
          "INSERT INTO crm_events (kind, subject_id, status, attempts, created_at) VALUES ('order', ?, 'pending', 0, ?)",
          [order.id, new Date()],
        );
        await expect(db.store.markOrderPaid(order.id, payment)).rejects.toThrow();
        expect(await db.store.findOrder(order.id)).toMatchObject({ status: "pending", paidAt: null });
        await sql.all("DELETE FROM crm_events WHERE kind = 'order' AND subject_id = ?", [order.id]);

        expect(await db.store.markOrderPaid(order.id, payment)).toBe(true);
        expect(await db.store.markOrderPaid(order.id, { ...payment, paidAt: new Date() })).toBe(false);
        const events = await sql.all<{ n: number }>(
          "SELECT COUNT(*) AS n FROM crm_events WHERE kind = 'order' AND subject_id = ?",
          [order.id],
        );
        expect(Number(events[0]?.n)).toBe(1);
        expect(await db.store.findOrder(order.id)).toMatchObject({
          status: "paid",
          crmSyncStatus: "pending",
          crmNextAttemptAt: payment.paidAt,
        });
      } finally {
        await sql.close();
      }
    });

    test("crm outbox: a refund's event is written when it succeeds, once, and stops when it fails after", async () => {
      const order = await newOrder();
      await db.store.markOrderPaid(order.id, {
        sessionId: `cs_test_refund_crm_${order.id}`,
        paymentIntentId: `pi_${order.id}`,
        paidAt: new Date(),
      });
      const attempt = {
        orderId: order.id,
        attemptKey: crypto.randomUUID(),
        paymentIntentId: `pi_${order.id}`,
        appliesToOrder: true,
        amountMinor: 234,
        currency: "usd",
        reason: null,
      };
      const reserved = await db.store.reserveRefund(attempt);
      expect(await db.store.findRefund(reserved?.id as number)).toMatchObject({
        status: "pending",
        crmSyncStatus: null,
      });
      const stripe = {
        ...attempt,
        stripeRefundId: `re_${crypto.randomUUID()}`,
        failure: null,
        createdAt: new Date(),
      };
      const now = new Date();
      await db.store.recordStripeRefund({ ...stripe, status: "succeeded" }, now);
      await db.store.recordStripeRefund({ ...stripe, status: "succeeded" }, new Date());
      const subject = { kind: "refund" as const, subjectId: reserved?.id as number };
      const due = await db.store.listDueCrmEvents(new Date(Date.now() + 1000), 10_000);
      expect(
        due.filter((event) => event.kind === "refund" && event.subjectId === subject.subjectId),
      ).toHaveLength(1);
      expect(await db.store.findRefund(subject.subjectId)).toMatchObject({
        status: "succeeded",
        crmSyncStatus: "pending",
        crmAttempts: 0,
      });

      await db.store.recordStripeRefund(
        { ...stripe, status: "failed", failure: "lost_or_stolen_card" },
        new Date(),
      );
      expect(await db.store.listDueCrmEvents(new Date(Date.now() + 1000), 10_000)).not.toContainEqual(
        subject,
      );
    });

    test("crm: due orders are claimed by one caller, and only the lease holder settles them", async () => {
      const order = await newOrder();
      await db.store.markOrderPaid(order.id, {
        sessionId: `cs_test_crm_${order.id}`,
        paymentIntentId: null,
        paidAt: new Date(Date.now() - 1000),
      });
      expect(await db.store.listDueCrmEvents(new Date(), 10_000)).toContainEqual({
        kind: "order",
        subjectId: order.id,
      });
      const lease = new Date(Date.now() + 60_000);
      const claims = await Promise.all(
        Array.from({ length: 5 }, () =>
          db.store.claimCrmEvent({ kind: "order", subjectId: order.id }, new Date(), lease),
        ),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await db.store.listDueCrmEvents(new Date(), 10_000)).not.toContainEqual({
        kind: "order",
        subjectId: order.id,
      });
      expect(
        await db.store.recordCrmSuccess(
          { kind: "order", subjectId: order.id },
          new Date(lease.getTime() + 1),
          {
            reference: "x",
            syncedAt: new Date(),
          },
        ),
      ).toBe(false);
      expect(
        await db.store.recordCrmFailure({ kind: "order", subjectId: order.id }, lease, {
          error: "HTTP 500",
          attempts: 1,
          nextAttemptAt: new Date(Date.now() - 1),
        }),
      ).toBe(true);
      expect(await db.store.findOrder(order.id)).toMatchObject({
        crmSyncStatus: "failed",
        crmAttempts: 1,
        crmLastError: "HTTP 500",
        crmClaimedUntil: null,
      });
      expect(await db.store.claimCrmEvent({ kind: "order", subjectId: order.id }, new Date(), lease)).toBe(
        true,
      );
      expect(
        await db.store.recordCrmSuccess({ kind: "order", subjectId: order.id }, lease, {
          reference: "252",
          syncedAt: new Date(),
        }),
      ).toBe(true);
      expect(await db.store.findOrder(order.id)).toMatchObject({
        crmSyncStatus: "success",
        crmAttempts: 2,
        crmReference: "252",
        crmNextAttemptAt: null,
      });
      expect(
        await db.store.claimCrmEvent(
          { kind: "order", subjectId: order.id },
          new Date(Date.now() + 3_600_000),
          lease,
        ),
      ).toBe(false);
      expect(await db.store.requestCrmResync({ kind: "order", subjectId: order.id }, new Date())).toBe(false);
    });

    test("ping answers while the database is reachable", async () => {
      expect(db.store.ping()).resolves.toBeUndefined();
    });
  });
}
