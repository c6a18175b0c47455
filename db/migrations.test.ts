import { afterAll, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freshDatabase, rawSql, storeTargets } from "../tests/support.ts";
import { migrateDatabase } from "./migrate-store.ts";
import { openStore } from "./open-store.ts";

/** The last migration whose schema kept its rules in triggers. */
const LAST_WITH_TRIGGERS = 12;
/** The last migration whose orders and refunds held their own CRM state, before the outbox. */
const LAST_BEFORE_OUTBOX = 13;

const folders = mkdtempSync(join(tmpdir(), "orders-migrations-"));
afterAll(() => rmSync(folders, { recursive: true, force: true }));

/** A copy of the committed migrations of the dialect that stops after migration `last`. */
function migrationsThrough(dialect: "mysql" | "sqlite", last: number): string {
  const folder = join(folders, `${dialect}-${last}`);
  cpSync(fileURLToPath(new URL(`./migrations/${dialect}`, import.meta.url)), folder, { recursive: true });
  const journalPath = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((entry) => entry.idx <= last);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

type Sql = Awaited<ReturnType<typeof rawSql>>;

async function triggers(sql: Sql, dialect: "mysql" | "sqlite"): Promise<string[]> {
  const rows =
    dialect === "mysql"
      ? await sql.all<{ Trigger: string }>("SHOW TRIGGERS")
      : await sql.all<{ Trigger: string }>(
          "SELECT name AS `Trigger` FROM sqlite_master WHERE type = 'trigger'",
        );
  return rows.map((row) => row.Trigger);
}

/** Every figure a report or an order shows that the rules derive, in a form both databases print alike. */
async function derivedFigures(sql: Sql) {
  const numbers = (rows: Record<string, unknown>[]) =>
    rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [key, typeof value === "string" ? value : Number(value)]),
      ),
    );
  return {
    orders: numbers(
      await sql.all(
        "SELECT id, status, refunded_minor, refund_reserved_minor, refund_count FROM orders ORDER BY id",
      ),
    ),
    totals: numbers(
      await sql.all(
        "SELECT currency, status, orders, amount_minor, refunded_minor FROM order_totals WHERE orders <> 0 ORDER BY currency, status",
      ),
    ),
    slots: numbers(
      await sql.all(
        `SELECT slot, currency, orders, paid_orders, revenue_minor, refunds_minor FROM order_slots
          WHERE orders <> 0 OR paid_orders <> 0 OR revenue_minor <> 0 OR refunds_minor <> 0 ORDER BY slot, currency`,
      ),
    ),
    products: numbers(
      await sql.all(
        `SELECT slot, product_id, currency, paid_orders, quantity, revenue_minor FROM product_slots
          WHERE paid_orders <> 0 ORDER BY slot, product_id, currency`,
      ),
    ),
  };
}

/** A shop of the previous version: orders in every status, refunds of every kind, CRM states; triggers keep its sums. */
async function fillAsThePreviousVersionDid(sql: Sql): Promise<void> {
  const at = (iso: string) => new Date(iso);
  await sql.all(
    "INSERT INTO users (email, name, password_hash, role, created_at) VALUES ('old@example.test', 'Old', 'x', 'customer', ?)",
    [at("2025-01-01T00:00:00Z")],
  );
  const [user] = await sql.all<{ id: number }>("SELECT id FROM users WHERE email = 'old@example.test'");
  for (const [name, price, currency] of [
    ["Kettle", 2500, "usd"],
    ["Mug", 900, "eur"],
  ] as const)
    await sql.all(
      "INSERT INTO products (name, description, price_minor, currency, active, created_at, updated_at) VALUES (?, '', ?, ?, ?, ?, ?)",
      [name, price, currency, true, at("2025-01-01T00:00:00Z"), at("2025-01-01T00:00:00Z")],
    );
  const products = await sql.all<{ id: number; price_minor: number; currency: string }>(
    "SELECT id, price_minor, currency FROM products ORDER BY id",
  );
  const orders: { status: string; paid?: string; crm?: string; quantity: number; product: number }[] = [
    { status: "pending", quantity: 1, product: 0 },
    { status: "cancelled", quantity: 2, product: 1 },
    { status: "paid", paid: "2025-03-01T10:05:00Z", crm: "success", quantity: 2, product: 0 },
    { status: "paid", paid: "2025-03-01T23:59:00Z", crm: "failed", quantity: 1, product: 1 },
    { status: "paid", paid: "2025-03-02T00:01:00Z", crm: "pending", quantity: 3, product: 0 },
    { status: "paid", paid: "2025-03-05T12:00:00Z", crm: "success", quantity: 1, product: 0 },
    { status: "paid", paid: "2025-03-06T12:00:00Z", crm: "success", quantity: 2, product: 1 },
  ];
  for (const [index, order] of orders.entries()) {
    const product = products[order.product] as (typeof products)[number];
    await sql.all(
      `INSERT INTO orders (user_id, product_id, quantity, unit_price_minor, amount_minor, currency, status, created_at,
        paid_at, payment_status, payment_intent_id, crm_sync_status, crm_attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        user?.id,
        product.id,
        order.quantity,
        product.price_minor,
        product.price_minor * order.quantity,
        product.currency,
        order.status,
        at(`2025-02-${String(10 + index).padStart(2, "0")}T08:00:00Z`),
        order.paid ? at(order.paid) : null,
        order.paid ? "paid" : "unpaid",
        order.paid ? `pi_old_${index}` : null,
        order.crm ?? "pending",
        order.crm ? 1 : 0,
      ],
    );
  }
  const ids = (await sql.all<{ id: number }>("SELECT id FROM orders ORDER BY id")).map((row) => row.id);
  const refund = async (
    order: number,
    amount: number,
    status: string,
    createdAt: string,
    options: { stripe?: boolean; appliesToOrder?: boolean; currency?: string } = {},
  ) => {
    const key = crypto.randomUUID();
    await sql.all(
      `INSERT INTO refunds (order_id, stripe_refund_id, attempt_key, payment_intent_id, applies_to_order, amount_minor,
        currency, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        ids[order],
        options.stripe === false ? null : `re_old_${key}`,
        key,
        `pi_old_${order}`,
        options.appliesToOrder ?? true,
        amount,
        options.currency ?? "usd",
        status,
        at(createdAt),
        at(createdAt),
      ],
    );
  };
  // Fully refunded in two parts; partly refunded; a pending attempt (reserved); a failed one; a second payment's.
  await refund(2, 2000, "succeeded", "2025-03-02T09:00:00Z");
  await refund(2, 3000, "succeeded", "2025-03-03T09:00:00Z");
  await refund(4, 1500, "succeeded", "2025-03-04T09:00:00Z");
  await refund(5, 1000, "pending", "2025-03-05T13:00:00Z", { stripe: false });
  await refund(6, 900, "failed", "2025-03-06T13:00:00Z", { currency: "eur" });
  await refund(6, 1800, "succeeded", "2025-03-07T13:00:00Z", { appliesToOrder: false, currency: "eur" });
}

/**
 * Orders and a refund as the release before the outbox wrote them, each with its CRM state on its own row: the
 * paid order's ids by name.
 */
async function fillWithCrmStateOnTheRows(sql: Sql, now: number) {
  const at = (offsetMs: number) => new Date(now + offsetMs);
  const email = `crm-${crypto.randomUUID()}@example.test`;
  await sql.all(
    "INSERT INTO users (email, name, password_hash, role, created_at) VALUES (?, 'Old', 'x', 'customer', ?)",
    [email, at(-3_600_000)],
  );
  const [user] = await sql.all<{ id: number }>("SELECT id FROM users WHERE email = ?", [email]);
  await sql.all(
    "INSERT INTO products (name, description, price_minor, currency, active, created_at, updated_at) VALUES ('Kettle', '', 2500, 'usd', ?, ?, ?)",
    [true, at(-3_600_000), at(-3_600_000)],
  );
  const [product] = await sql.all<{ id: number }>("SELECT MAX(id) AS id FROM products");
  const ids: Record<string, number> = {};
  const order = async (
    name: string,
    crm: { status: string; attempts?: number; next?: Date; lease?: Date; reference?: string; error?: string },
    paid = true,
  ) => {
    await sql.all(
      `INSERT INTO orders (user_id, product_id, quantity, unit_price_minor, amount_minor, currency, status, created_at,
        paid_at, payment_status, payment_intent_id, crm_sync_status, crm_attempts, crm_next_attempt_at,
        crm_claimed_until, crm_reference, crm_synced_at, crm_last_error)
        VALUES (?, ?, 1, 2500, 2500, 'usd', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        user?.id,
        product?.id,
        paid ? "paid" : "pending",
        at(-600_000),
        paid ? at(-500_000) : null,
        paid ? "paid" : "unpaid",
        paid ? `pi_${name}_${crypto.randomUUID()}` : null,
        crm.status,
        crm.attempts ?? 0,
        crm.next ?? null,
        crm.lease ?? null,
        crm.reference ?? null,
        crm.reference ? at(-400_000) : null,
        crm.error ?? null,
      ],
    );
    const [row] = await sql.all<{ id: number }>("SELECT MAX(id) AS id FROM orders");
    ids[name] = Number(row?.id);
  };
  return { order, id: (name: string) => ids[name] as number, at };
}

for (const target of storeTargets()) {
  target.describe(`migrations on ${target.name}`, () => {
    test("a fresh database has no trigger after migrating", async () => {
      const database = await freshDatabase(target);
      const sql = await rawSql(database.url);
      try {
        expect(await triggers(sql, target.name)).toEqual([]);
      } finally {
        await sql.close();
        await database.drop();
      }
    });

    test("a shop of the version with triggers keeps every figure through the migration, and the rules and a rebuild agree with them", async () => {
      const database = await freshDatabase(target, (dialect) =>
        migrationsThrough(dialect, LAST_WITH_TRIGGERS),
      );
      const sql = await rawSql(database.url);
      const store = await openStore(database.url);
      try {
        expect((await triggers(sql, target.name)).length).toBeGreaterThan(0);
        await fillAsThePreviousVersionDid(sql);
        const before = await derivedFigures(sql);
        expect(before.orders.map((order) => order.status)).toEqual([
          "pending",
          "cancelled",
          "refunded",
          "paid",
          "paid",
          "paid",
          "paid",
        ]);
        const summaryBefore = await store.summarizeOrders().catch(() => undefined);

        await migrateDatabase(database.url);
        expect(await triggers(sql, target.name)).toEqual([]);
        expect(await derivedFigures(sql)).toEqual(before);
        const summary = await store.summarizeOrders();
        expect(summary).toMatchObject({
          totalOrders: 7,
          paidOrders: 5,
          pendingOrders: 1,
          cancelledOrders: 1,
          grossRevenueMinorByCurrency: { usd: 5000 + 7500 + 2500, eur: 900 + 1800 },
          refundedMinorByCurrency: { usd: 5000 + 1500, eur: 0 },
        });
        if (summaryBefore) expect(summary).toEqual(summaryBefore);
        await store.rebuildReportRollups();
        expect(await derivedFigures(sql)).toEqual(before);

        // The rules in TypeScript carry on where the triggers stopped, and a rebuild from the facts agrees.
        const [paid] = await sql.all<{ id: number }>(
          "SELECT id FROM orders WHERE status = 'paid' ORDER BY id",
        );
        const attempt = await store.reserveRefund({
          orderId: paid?.id as number,
          attemptKey: crypto.randomUUID(),
          paymentIntentId: "pi_old_3",
          appliesToOrder: true,
          amountMinor: 900,
          currency: "eur",
          reason: "requested_by_customer",
        });
        expect(attempt).toBeDefined();
        await store.recordStripeRefund(
          {
            stripeRefundId: `re_new_${crypto.randomUUID()}`,
            attemptKey: attempt?.attemptKey ?? null,
            status: "succeeded",
            failure: null,
            orderId: paid?.id as number,
            paymentIntentId: "pi_old_3",
            appliesToOrder: true,
            amountMinor: 900,
            currency: "eur",
            reason: "requested_by_customer",
            createdAt: new Date(),
          },
          new Date(),
        );
        const pending = await sql.all<{ id: number }>("SELECT id FROM orders WHERE status = 'pending'");
        await store.cancelOrder(pending[0]?.id as number, new Date());
        await store.summarizeOrders();
        const byRules = await derivedFigures(sql);
        expect(byRules.orders.find((order) => order.id === paid?.id)).toMatchObject({ status: "refunded" });
        await store.rebuildReportRollups();
        expect(await derivedFigures(sql)).toEqual(byRules);
      } finally {
        await store.close();
        await sql.close();
        await database.drop();
      }
    });
    test("the orders' and refunds' CRM state moves into the outbox, and what the previous release queues during the upgrade is adopted once", async () => {
      const database = await freshDatabase(target, (dialect) =>
        migrationsThrough(dialect, LAST_BEFORE_OUTBOX),
      );
      const sql = await rawSql(database.url);
      const store = await openStore(database.url);
      const now = Date.now();
      try {
        const { order, id, at } = await fillWithCrmStateOnTheRows(sql, now);
        await order("synced", { status: "success", attempts: 1, reference: "crm-1" });
        await order("failed", {
          status: "failed",
          attempts: 2,
          next: at(3_600_000),
          error: "CRM answered 500",
        });
        await order("due", { status: "pending", next: at(-500_000) });
        await order("leased", { status: "pending", next: at(-500_000), lease: at(60_000) });
        await order("unpaid", { status: "pending" }, false);
        await sql.all(
          `INSERT INTO refunds (order_id, stripe_refund_id, attempt_key, payment_intent_id, applies_to_order, amount_minor,
            currency, status, created_at, updated_at, crm_sync_status, crm_next_attempt_at)
            VALUES (?, ?, NULL, 'pi_x', ?, 500, 'usd', 'succeeded', ?, ?, 'pending', ?)`,
          [id("synced"), `re_${crypto.randomUUID()}`, true, at(-300_000), at(-300_000), at(-300_000)],
        );
        const [refund] = await sql.all<{ id: number }>("SELECT MAX(id) AS id FROM refunds");
        const refundId = Number(refund?.id);

        await migrateDatabase(database.url);

        const events = await sql.all<Record<string, unknown>>(
          "SELECT kind, subject_id, status, attempts, reference, last_error FROM crm_events ORDER BY kind, subject_id",
        );
        expect(
          events.map(
            (event): Record<string, unknown> => ({ ...event, subject_id: Number(event.subject_id) }),
          ),
        ).toEqual([
          {
            kind: "order",
            subject_id: id("synced"),
            status: "success",
            attempts: 1,
            reference: "crm-1",
            last_error: null,
          },
          {
            kind: "order",
            subject_id: id("failed"),
            status: "failed",
            attempts: 2,
            reference: null,
            last_error: "CRM answered 500",
          },
          {
            kind: "order",
            subject_id: id("due"),
            status: "pending",
            attempts: 0,
            reference: null,
            last_error: null,
          },
          {
            kind: "order",
            subject_id: id("leased"),
            status: "pending",
            attempts: 0,
            reference: null,
            last_error: null,
          },
          {
            kind: "refund",
            subject_id: refundId,
            status: "pending",
            attempts: 0,
            reference: null,
            last_error: null,
          },
        ]);
        // Nothing is scheduled twice: the previous release can no longer claim what moved.
        expect(await sql.all("SELECT id FROM orders WHERE crm_next_attempt_at IS NOT NULL")).toEqual([]);
        expect(await sql.all("SELECT id FROM refunds WHERE crm_next_attempt_at IS NOT NULL")).toEqual([]);
        expect(await store.findOrder(id("synced"))).toMatchObject({
          crmSyncStatus: "success",
          crmReference: "crm-1",
          crmAttempts: 1,
        });
        expect(await store.findOrder(id("unpaid"))).toMatchObject({
          crmSyncStatus: "pending",
          crmAttempts: 0,
        });
        // The lease a process of the previous release held goes with the event: nobody posts under it.
        expect(await store.listDueCrmEvents(new Date(now), 100)).toEqual([
          { kind: "order", subjectId: id("due") },
          { kind: "refund", subjectId: refundId },
        ]);

        // During the rolling restart, an instance of the previous release pays two orders (one it is posting
        // under its lease, one whose post it lost) and syncs a third itself.
        await order("paid-by-old", { status: "pending", next: at(0), lease: at(60_000) });
        await order("lost-by-old", { status: "pending", next: at(0), lease: at(-1_000) });
        await order("synced-by-old", { status: "success", attempts: 1, reference: "crm-9" });
        expect(await store.adoptLegacyCrmQueue(new Date(now))).toBe(1);
        expect(await store.adoptLegacyCrmQueue(new Date(now))).toBe(0);
        expect(await store.adoptLegacyCrmQueue(new Date(now + 61_000))).toBe(1);
        expect(await store.adoptLegacyCrmQueue(new Date(now + 61_000))).toBe(0);
        const due = await store.listDueCrmEvents(new Date(now + 61_000), 100);
        expect(due).toContainEqual({ kind: "order", subjectId: id("paid-by-old") });
        expect(due).toContainEqual({ kind: "order", subjectId: id("lost-by-old") });
        expect(await sql.all("SELECT id FROM orders WHERE crm_next_attempt_at IS NOT NULL")).toEqual([]);
        // What that release synced itself shows as it left it.
        expect(await store.findOrder(id("synced-by-old"))).toMatchObject({
          crmSyncStatus: "success",
          crmReference: "crm-9",
        });
      } finally {
        await store.close();
        await sql.close();
        await database.drop();
      }
    });
  });
}
