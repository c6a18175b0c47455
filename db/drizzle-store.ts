import type { Column } from "drizzle-orm";
import {
  and,
  asc,
  count,
  desc,
  eq,
  getTableColumns,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import type { MySqlTable, MySqlUpdateSetSource } from "drizzle-orm/mysql-core";
import type { MySql2Database } from "drizzle-orm/mysql2";
import type { TransactionOptions } from "./deadline-pool.ts";
import mysqlJournal from "./migrations/mysql/meta/_journal.json" with { type: "json" };
import sqliteJournal from "./migrations/sqlite/meta/_journal.json" with { type: "json" };
import { afterRefundChange, refundable } from "./refund-ledger.ts";
import { ReportRollups } from "./report-rollups.ts";
import type * as schema from "./schema.mysql.ts";
import {
  type AuthLimitRule,
  type AuthReservation,
  type CrmHealth,
  type DiscoveredRefund,
  EmailTakenError,
  type LocalDaySales,
  type NewAdminSession,
  type NewOrder,
  type NewProduct,
  type NewRefundAttempt,
  type NewUser,
  type Order,
  type OrderFilter,
  type OrderSummary,
  type OrderView,
  type Page,
  type PageRequest,
  type Payment,
  type PoolStats,
  type Product,
  type ProductRemoval,
  type ProductSales,
  paidChanges,
  type Refund,
  type RefundView,
  type SlotSegment,
  type Store,
  type StripeRefundState,
  type User,
} from "./store.ts";

/**
 * The SQL is written once. Drizzle builds it from each dialect's own tables and dialect object, so the
 * query code below runs unchanged on MySQL and SQLite; it is typed against the MySQL schema, and each
 * adapter supplies only what differs: how a write reports its result, and how a unique violation looks.
 */
export type Tables = typeof schema;

function lazy<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => {
    made ??= make();
    return made;
  };
}
const DAY_MS = 24 * 3600 * 1000;
const SLOT_MS = 900_000;
const SLOTS_PER_DAY = 96;
/** A UTC day is closed (no payment of the present lands in it) once it ended a day ago. */
const CLOSED_AFTER_SLOTS = 2 * SLOTS_PER_DAY;
const DAYS_PER_CHUNK = 31;
const PRODUCT_RUNNING = "product_running";
/**
 * Products reports computed at once per process: each holds two rows per product while it runs, and the database
 * (two cores in the benchmark) is what they wait for anyway; more at once only grew the memory past 200 MB.
 */
const PRODUCT_REPORTS_AT_ONCE = 2;

interface RunningRow {
  productId: number;
  paidOrders: number | string;
  quantity: number | string;
  revenueMinor: number | string;
}
export type Db = MySql2Database<Record<string, never>>;

export interface WriteResult {
  affectedRows: number;
  insertId: number;
}

export interface DialectAdapter {
  dialect: Store["dialect"];
  db: Db;
  tables: Tables;
  readWrite(raw: unknown): WriteResult;
  isUniqueViolation(error: unknown): boolean;
  isForeignKeyViolation(error: unknown): boolean;
  /** Runs a statement written with drizzle's `sql` (for what the query builder does not share between dialects). */
  rows<T>(query: SQL): Promise<T[]>;
  /** Runs a statement written with drizzle's `sql` on `db` (the store's, or a transaction's); returns its raw result. */
  run(db: Db, query: SQL): Promise<unknown>;
  /**
   * Runs `work` in a transaction and commits it. MySQL runs it again as a whole when the database rolled it back
   * for a deadlock or a lock wait (db/deadline-pool.ts); SQLite runs one transaction at a time. `work` must do
   * database work only: no call to Stripe or the CRM may hold a transaction open.
   */
  transaction<T>(work: (tx: Db) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Runs a write outside any transaction: on SQLite it waits for the transaction under way, if any. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** The select as a locking read (FOR UPDATE) on MySQL; SQLite's transactions already hold the write lock. */
  forUpdate<T>(query: T): T;
  /** `INSERT ... ` of the rows that adds their `adds` columns to a row already there with the same `keys`. */
  upsertAdding(table: MySqlTable, keys: Column[], adds: Column[], rows: Record<string, unknown>[]): SQL;
  /** The 15-minute UTC slot of a timestamp column, in SQL. */
  slotOf(column: Column): SQL;
  ping(): Promise<void>;
  /** MySQL's pool: connections in use, requests waiting for one, and the limit; SQLite has none. */
  poolStats(): PoolStats | undefined;
  /** The `when` of the newest migration applied, from drizzle's own table; undefined when none was. */
  latestMigration(): Promise<number | undefined>;
  close(): Promise<void>;
}

export class DrizzleStore implements Store {
  readonly dialect: Store["dialect"];
  protected readonly db: Db;
  protected readonly t: Tables;

  /**
   * Statements that run on nearly every request, prepared once: building them on every request took Drizzle a
   * quarter of the server's CPU in the purchase benchmark (`bun run bench --profile`). Each is prepared at its
   * first use, since SQLite prepares against the tables and the store must open on a database that is not
   * migrated yet, to say so.
   */
  private readonly activeProductsPage;
  private readonly countActiveProducts;
  private readonly countActiveProductsAfter;
  private readonly userById;
  private readonly insertOrder;
  private readonly productById;
  private readonly orderViewById;
  private readonly orderViewByIdForUser;
  private productReports = 0;
  private readonly waitingProductReports: (() => void)[] = [];
  private readonly rollups: ReportRollups;

  constructor(protected readonly adapter: DialectAdapter) {
    this.dialect = adapter.dialect;
    this.db = adapter.db;
    this.t = adapter.tables;
    this.rollups = new ReportRollups(adapter, adapter.tables);
    const { products, users, orders } = this.t;
    // A deferred join: the offset is walked in the (active, id) index alone and only the page's rows are read.
    const pageIds = this.db
      .select({ pageId: products.id })
      .from(products)
      .where(eq(products.active, true))
      .orderBy(asc(products.id))
      .limit(sql.placeholder("limit"))
      .offset(sql.placeholder("offset"))
      .as("page_ids");
    this.activeProductsPage = lazy(() =>
      this.db
        .select(getTableColumns(products))
        .from(products)
        .innerJoin(pageIds, eq(products.id, pageIds.pageId))
        .orderBy(asc(products.id))
        .prepare(),
    );
    this.countActiveProducts = lazy(() =>
      this.db.select({ count: count() }).from(products).where(eq(products.active, true)).prepare(),
    );
    this.countActiveProductsAfter = lazy(() =>
      this.db
        .select({ count: count() })
        .from(products)
        .where(and(eq(products.active, true), gt(products.id, sql.placeholder("afterId"))))
        .prepare(),
    );
    this.userById = lazy(() =>
      this.db
        .select()
        .from(users)
        .where(eq(users.id, sql.placeholder("id")))
        .limit(1)
        .prepare(),
    );
    this.productById = lazy(() =>
      this.db
        .select()
        .from(products)
        .where(eq(products.id, sql.placeholder("id")))
        .limit(1)
        .prepare(),
    );
    this.insertOrder = lazy(() =>
      this.db
        .insert(orders)
        .values({
          userId: sql.placeholder("userId"),
          productId: sql.placeholder("productId"),
          quantity: sql.placeholder("quantity"),
          unitPriceMinor: sql.placeholder("unitPriceMinor"),
          amountMinor: sql.placeholder("amountMinor"),
          currency: sql.placeholder("currency"),
          status: "pending",
          createdAt: sql.placeholder("createdAt"),
        })
        .prepare(),
    );
    this.orderViewById = lazy(() =>
      this.selectOrderViews()
        .where(eq(orders.id, sql.placeholder("orderId")))
        .limit(1)
        .prepare(),
    );
    this.orderViewByIdForUser = lazy(() =>
      this.selectOrderViews()
        .where(and(eq(orders.id, sql.placeholder("orderId")), eq(orders.userId, sql.placeholder("userId"))))
        .limit(1)
        .prepare(),
    );
  }

  ping() {
    return this.adapter.ping();
  }

  poolStats() {
    return this.adapter.poolStats();
  }

  async schemaProblem(): Promise<string | undefined> {
    const expected = (this.dialect === "mysql" ? mysqlJournal : sqliteJournal).entries.at(-1)?.when ?? 0;
    const applied = await this.adapter.latestMigration();
    if (applied === undefined) return "the database has no tables yet: run bun run db:migrate";
    if (applied < expected) return "the database is missing migrations: run bun run db:migrate";
    return undefined;
  }

  close() {
    return this.adapter.close();
  }

  /** One write statement outside any transaction (Drizzle runs a query when it is awaited, here in its turn). */
  protected async write(query: PromiseLike<unknown>): Promise<WriteResult> {
    return this.adapter.readWrite(await this.adapter.exclusive(async () => await query));
  }

  /** The order's row, locked until the transaction ends. */
  private async lockOrder(tx: Db, orderId: number): Promise<Order | undefined> {
    const { orders } = this.t;
    const [row] = await this.adapter.forUpdate(
      tx.select().from(orders).where(eq(orders.id, orderId)).limit(1),
    );
    return row;
  }

  /** Moves a pending order on, once (one conditional statement): false when it is not pending (any more). */
  private changePendingOrder(orderId: number, changes: Partial<Order>): Promise<boolean> {
    const { orders } = this.t;
    return this.updateOrders(
      { ...changes, reportPending: true },
      and(eq(orders.id, orderId), eq(orders.status, "pending")),
    );
  }

  /** Moves the catalog's change counter, in the transaction that changed the catalog. */
  private async catalogChanged(tx: Db): Promise<void> {
    const { changeCounters } = this.t;
    await tx
      .update(changeCounters)
      .set({ value: sql`${changeCounters.value} + 1` })
      .where(eq(changeCounters.name, "products"));
  }

  rebuildReportRollups(): Promise<void> {
    return this.rollups.rebuild();
  }

  foldReportChanges(): Promise<void> {
    return this.rollups.fold();
  }

  async createUser(input: NewUser): Promise<User> {
    const { users } = this.t;
    try {
      const { insertId } = await this.write(
        this.db.insert(users).values({ ...input, email: input.email.toLowerCase(), createdAt: new Date() }),
      );
      return (await this.findUserById(insertId)) as User;
    } catch (error) {
      if (this.adapter.isUniqueViolation(error)) throw new EmailTakenError();
      throw error;
    }
  }

  async findUserByEmail(email: string): Promise<User | undefined> {
    const { users } = this.t;
    const [row] = await this.db.select().from(users).where(eq(users.email, email.toLowerCase())).limit(1);
    return row;
  }

  async findUserById(id: number): Promise<User | undefined> {
    const [row] = await this.userById().execute({ id });
    return row;
  }

  async deleteUser(id: number): Promise<boolean> {
    const { users } = this.t;
    const { affectedRows } = await this.write(this.db.delete(users).where(eq(users.id, id)));
    return affectedRows > 0;
  }

  async listActiveProducts(page: PageRequest): Promise<Page<Product>> {
    const rows = await this.activeProductsPage().execute({ limit: page.limit, offset: page.offset });
    return { rows, count: await this.countActiveProductsAround(page, rows) };
  }

  /**
   * The count walks only what the page's own walk did not: past the first page, the offset already counted the
   * rows before the page, so a deep page reads the index about once. The first page counts everything, as one
   * index-only lookup of `active` is cheaper than the range after its last row. A short page is the last one
   * and needs no count.
   */
  private async countActiveProductsAround(page: PageRequest, rows: Product[]): Promise<number> {
    const isLastPage = rows.length < page.limit && (rows.length > 0 || page.offset === 0);
    if (isLastPage) return page.offset + rows.length;
    const last = rows.at(-1);
    if (!last || page.offset === 0) {
      const [all] = await this.countActiveProducts().execute();
      return Number(all?.count ?? 0);
    }
    const [after] = await this.countActiveProductsAfter().execute({ afterId: last.id });
    return page.offset + rows.length + Number(after?.count ?? 0);
  }

  async catalogVersion(): Promise<number> {
    const { changeCounters } = this.t;
    const [row] = await this.db
      .select({ value: changeCounters.value })
      .from(changeCounters)
      .where(eq(changeCounters.name, "products"));
    return Number(row?.value ?? 0);
  }

  async findProduct(id: number): Promise<Product | undefined> {
    const [row] = await this.productById().execute({ id });
    return row;
  }

  async findProductByName(name: string): Promise<Product | undefined> {
    const { products } = this.t;
    const [row] = await this.db.select().from(products).where(eq(products.name, name)).limit(1);
    return row;
  }

  async createProduct(input: NewProduct): Promise<Product> {
    const { products } = this.t;
    const now = new Date();
    const insertId = await this.adapter.transaction(async (tx) => {
      const { insertId } = this.adapter.readWrite(
        await tx.insert(products).values({ active: true, ...input, createdAt: now, updatedAt: now }),
      );
      await this.catalogChanged(tx);
      return insertId;
    });
    return (await this.findProduct(insertId)) as Product;
  }

  async createOrder(
    input: NewOrder,
    known?: Pick<OrderView, "product" | "customerEmail">,
  ): Promise<OrderView> {
    const createdAt = new Date();
    const { insertId } = this.adapter.readWrite(
      await this.adapter.exclusive(() => this.insertOrder().execute({ ...input, createdAt })),
    );
    if (!known) return (await this.findOrder(insertId)) as OrderView;
    // The columns' own defaults (schema.mysql.ts), as the insert left them.
    return {
      ...input,
      ...known,
      id: insertId,
      status: "pending",
      createdAt,
      paidAt: null,
      paymentSessionId: null,
      paymentSessionExpiresAt: null,
      paymentIntentId: null,
      paymentStatus: "unpaid",
      crmSyncStatus: "pending",
      crmAttempts: 0,
      crmLastError: null,
      crmNextAttemptAt: null,
      crmClaimedUntil: null,
      crmReference: null,
      crmSyncedAt: null,
      refundedMinor: 0,
      refundReservedMinor: 0,
      refundCount: 0,
      cancelledAt: null,
      reportPending: true,
      reportedStatus: null,
      reportedPaidAt: null,
      reportedRefundedMinor: 0,
      refunds: [],
    };
  }

  protected selectOrderViews() {
    const { orders, products, users } = this.t;
    return this.db
      .select({
        order: orders,
        product: {
          id: products.id,
          name: products.name,
          priceMinor: products.priceMinor,
          currency: products.currency,
        },
        customerEmail: users.email,
      })
      .from(orders)
      .innerJoin(products, eq(products.id, orders.productId))
      .innerJoin(users, eq(users.id, orders.userId));
  }

  async findOrder(orderId: number): Promise<OrderView | undefined> {
    const [row] = await this.orderViewById().execute({ orderId });
    return row && (await this.withRefunds([row]))[0];
  }

  async findOrderForUser(orderId: number, userId: number): Promise<OrderView | undefined> {
    const [row] = await this.orderViewByIdForUser().execute({ orderId, userId });
    return row && (await this.withRefunds([row]))[0];
  }

  async listOrdersForUser(userId: number, page: PageRequest): Promise<Page<OrderView>> {
    const { orders } = this.t;
    const [rows, [total]] = await Promise.all([
      this.selectOrderViews()
        .where(eq(orders.userId, userId))
        .orderBy(desc(orders.id))
        .limit(page.limit)
        .offset(page.offset),
      this.db.select({ count: count() }).from(orders).where(eq(orders.userId, userId)),
    ]);
    return { rows: await this.withRefunds(rows), count: Number(total?.count ?? 0) };
  }

  /** Only orders that have refunds (refund_count, kept by the refunds ledger) cost a second statement. */
  private async withRefunds(rows: OrderViewRow[]): Promise<OrderView[]> {
    const ids = rows.filter((row) => row.order.refundCount > 0).map((row) => row.order.id);
    const byOrder = new Map<number, Refund[]>();
    if (ids.length > 0) {
      const { refunds } = this.t;
      const found = await this.db
        .select()
        .from(refunds)
        .where(inArray(refunds.orderId, ids))
        .orderBy(asc(refunds.id));
      for (const refund of found)
        byOrder.set(refund.orderId, [...(byOrder.get(refund.orderId) ?? []), refund]);
    }
    return rows.map((row) => ({
      ...row.order,
      product: row.product,
      customerEmail: row.customerEmail,
      refunds: byOrder.get(row.order.id) ?? [],
    }));
  }

  async summarizeOrders(): Promise<OrderSummary> {
    await this.rollups.fold();
    const { orderTotals } = this.t;
    const rows = await this.db
      .select({
        currency: orderTotals.currency,
        status: orderTotals.status,
        orders: orderTotals.orders,
        amountMinor: orderTotals.amountMinor,
        refundedMinor: orderTotals.refundedMinor,
      })
      .from(orderTotals);
    return summaryOf(rows);
  }

  async summarizeOrdersForUser(userId: number): Promise<OrderSummary> {
    const { orders } = this.t;
    // One customer's orders, by the (user_id, id) index: bounded by what one customer buys, not by the shop.
    const rows = await this.db
      .select({
        currency: orders.currency,
        status: orders.status,
        orders: count(),
        amountMinor: sql<number>`coalesce(sum(${orders.amountMinor}), 0)`,
        refundedMinor: sql<number>`coalesce(sum(${orders.refundedMinor}), 0)`,
      })
      .from(orders)
      .where(eq(orders.userId, userId))
      .groupBy(orders.currency, orders.status);
    return summaryOf(rows);
  }

  async salesByLocalDay(segments: SlotSegment[]): Promise<LocalDaySales[]> {
    await this.rollups.fold();
    const { orderSlots } = this.t;
    const batches = await Promise.all(
      segments.map((segment) => {
        // The offset is an integer this code computed, so it can be part of the statement's text; being the
        // same text in SELECT and GROUP BY keeps MySQL's ONLY_FULL_GROUP_BY content.
        const shifted = sql`(${orderSlots.slot} + ${sql.raw(String(Math.trunc(segment.offsetSlots)))})`;
        const localDayStart = sql<number>`${shifted} - (${shifted} % 96)`;
        return (
          this.db
            .select({
              localDayStart,
              currency: orderSlots.currency,
              orders: sql<number>`sum(${orderSlots.orders})`,
              paidOrders: sql<number>`sum(${orderSlots.paidOrders})`,
              revenueMinor: sql<number>`sum(${orderSlots.revenueMinor})`,
              refundsMinor: sql<number>`sum(${orderSlots.refundsMinor})`,
            })
            .from(orderSlots)
            .where(and(gte(orderSlots.slot, segment.fromSlot), lt(orderSlots.slot, segment.toSlot)))
            .groupBy(localDayStart, orderSlots.currency)
            // MariaDB sorts a GROUP BY's result unless told not to; the caller does not need an order.
            .orderBy(sql`null`)
        );
      }),
    );
    return batches.flat().map((row) => ({
      day: Number(row.localDayStart) / 96,
      currency: row.currency,
      orders: Number(row.orders),
      paidOrders: Number(row.paidOrders),
      revenueMinor: Number(row.revenueMinor),
      refundsMinor: Number(row.refundsMinor),
    }));
  }

  /**
   * Totals per product over [fromSlot, toSlot): the range's whole closed UTC days as the difference of two
   * running totals (`product_running`, read once per product at each end), its ragged ends and its last days
   * from `product_slots`. So the cost follows the products and the few days at the ends, not the orders.
   */
  async topProducts(range: {
    fromSlot: number;
    toSlot: number;
    currency: string;
    limit: number;
  }): Promise<ProductSales[]> {
    if (this.productReports < PRODUCT_REPORTS_AT_ONCE) this.productReports++;
    else await new Promise<void>((resolve) => this.waitingProductReports.push(resolve));
    try {
      await this.rollups.fold();
      return await this.rankProducts(range);
    } finally {
      // The slot goes straight to the next in line, if any.
      const next = this.waitingProductReports.shift();
      if (next) next();
      else this.productReports--;
    }
  }

  private async rankProducts(range: {
    fromSlot: number;
    toSlot: number;
    currency: string;
    limit: number;
  }): Promise<ProductSales[]> {
    const totals = new Map<number, Omit<ProductSales, "product">>();
    const add = (rows: RunningRow[], sign: 1 | -1) => {
      for (const row of rows) {
        const total = totals.get(Number(row.productId)) ?? { paidOrders: 0, quantity: 0, revenueMinor: 0 };
        total.paidOrders += sign * Number(row.paidOrders);
        total.quantity += sign * Number(row.quantity);
        total.revenueMinor += sign * Number(row.revenueMinor);
        totals.set(Number(row.productId), total);
      }
    };
    const nowSlot = Math.floor(Date.now() / SLOT_MS);
    const lastClosedDay = nowSlot - (nowSlot % SLOTS_PER_DAY) - CLOSED_AFTER_SLOTS;
    const firstDay = Math.ceil(range.fromSlot / SLOTS_PER_DAY) * SLOTS_PER_DAY;
    const lastDay = Math.min(
      Math.floor(range.toSlot / SLOTS_PER_DAY) * SLOTS_PER_DAY - SLOTS_PER_DAY,
      lastClosedDay,
    );
    if (lastDay >= firstDay) {
      await this.coverProductRunning(lastDay);
      const [end, start] = await Promise.all([
        this.productRunningAt(range.currency, lastDay),
        this.productRunningAt(range.currency, firstDay - SLOTS_PER_DAY),
      ]);
      add(end, 1);
      add(start, -1);
      add(await this.productSlotSums(range.currency, range.fromSlot, firstDay), 1);
      add(await this.productSlotSums(range.currency, lastDay + SLOTS_PER_DAY, range.toSlot), 1);
    } else {
      add(await this.productSlotSums(range.currency, range.fromSlot, range.toSlot), 1);
    }
    const ranked = [...totals]
      .filter(([, total]) => total.revenueMinor > 0)
      .sort(([idA, a], [idB, b]) => b.revenueMinor - a.revenueMinor || idA - idB)
      .slice(0, range.limit);
    if (ranked.length === 0) return [];
    const { products } = this.t;
    const names = new Map(
      (
        await this.db
          .select({ id: products.id, name: products.name })
          .from(products)
          .where(
            inArray(
              products.id,
              ranked.map(([id]) => id),
            ),
          )
      ).map((row) => [row.id, row.name]),
    );
    return ranked.map(([id, total]) => ({ product: { id, name: names.get(id) ?? "" }, ...total }));
  }

  private productSlotSums(currency: string, fromSlot: number, toSlot: number): Promise<RunningRow[]> {
    if (fromSlot >= toSlot) return Promise.resolve([]);
    const { productSlots } = this.t;
    return this.db
      .select({
        productId: productSlots.productId,
        paidOrders: sql<number>`sum(${productSlots.paidOrders})`,
        quantity: sql<number>`sum(${productSlots.quantity})`,
        revenueMinor: sql<number>`sum(${productSlots.revenueMinor})`,
      })
      .from(productSlots)
      .where(
        and(
          gte(productSlots.slot, fromSlot),
          lt(productSlots.slot, toSlot),
          eq(productSlots.currency, currency),
        ),
      )
      .groupBy(productSlots.productId)
      .orderBy(sql`null`);
  }

  /** Each product's running totals through the end of the day starting at `daySlot`: its latest row up to it. */
  private async productRunningAt(currency: string, daySlot: number): Promise<RunningRow[]> {
    const { productRunning } = this.t;
    // MAX per (currency, product) over the primary key is a loose index scan: one seek per product.
    const latest = this.db
      .select({
        currency: productRunning.currency,
        productId: productRunning.productId,
        daySlot: sql<number>`max(${productRunning.daySlot})`.as("latest_day_slot"),
      })
      .from(productRunning)
      .where(lte(productRunning.daySlot, daySlot))
      .groupBy(productRunning.currency, productRunning.productId)
      .as("latest");
    // The currency is left out of the statement on purpose: MariaDB pushes a condition on it down into `latest`
    // and then reads every row of the currency instead of seeking once per product (4 x slower at 1M orders).
    const rows = await this.db
      .select({
        currency: productRunning.currency,
        productId: productRunning.productId,
        paidOrders: productRunning.paidOrders,
        quantity: productRunning.quantity,
        revenueMinor: productRunning.revenueMinor,
      })
      .from(productRunning)
      .innerJoin(
        latest,
        and(
          eq(productRunning.currency, latest.currency),
          eq(productRunning.productId, latest.productId),
          eq(productRunning.daySlot, latest.daySlot),
        ),
      );
    return rows.filter((row) => row.currency === currency);
  }

  private async productRunningMark(): Promise<number> {
    const { rollupMarks } = this.t;
    const [mark] = await this.db
      .select({ daySlot: rollupMarks.daySlot })
      .from(rollupMarks)
      .where(eq(rollupMarks.name, PRODUCT_RUNNING));
    return mark?.daySlot ?? -SLOTS_PER_DAY;
  }

  /**
   * Makes `product_running` complete through the day starting at `throughDay`, a month of days per statement:
   * each day with a sale gets its running totals, counted on from each product's latest row before the chunk.
   * Two instances doing it at once write the same rows; one of them finds them there and reads the mark again.
   */
  private async coverProductRunning(throughDay: number): Promise<void> {
    const { productRunning, productSlots, rollupMarks } = this.t;
    for (let round = 0; round < 10_000; round++) {
      const covered = await this.productRunningMark();
      if (covered >= throughDay) return;
      // Days without a product_slots row never had a sale: the chunk starts at the next day that had one.
      const [next] = await this.db
        .select({ slot: sql<number | null>`min(${productSlots.slot})` })
        .from(productSlots)
        .where(gte(productSlots.slot, covered + SLOTS_PER_DAY));
      // No sale since the mark (a shop before its first sale, or quiet for days): nothing to count through throughDay.
      const nextDay =
        next?.slot == null
          ? throughDay + SLOTS_PER_DAY
          : Number(next.slot) - (Number(next.slot) % SLOTS_PER_DAY);
      const from = Math.max(covered + SLOTS_PER_DAY, nextDay);
      const until =
        from > throughDay ? throughDay : Math.min(throughDay, from + (DAYS_PER_CHUNK - 1) * SLOTS_PER_DAY);
      await this.write(
        this.db
          .delete(productRunning)
          .where(
            and(gte(productRunning.daySlot, covered + SLOTS_PER_DAY), lte(productRunning.daySlot, until)),
          ),
      );
      const day = sql`(${productSlots.slot} - ${productSlots.slot} % ${sql.raw(String(SLOTS_PER_DAY))})`;
      // DISTINCT (a no-op: one row per product) keeps MariaDB from merging `b` into the outer join, which made it
      // read every earlier row of each product for each day of the chunk: 1.2 s a chunk at 1M orders, not 0.1 s.
      try {
        if (from <= until)
          await this.adapter.exclusive(() =>
            this.adapter.rows(sql`
          INSERT INTO ${productRunning} (currency, product_id, day_slot, paid_orders, quantity, revenue_minor)
          SELECT d.currency, d.product_id, d.day_slot,
            COALESCE(b.paid_orders, 0) + SUM(d.paid_orders) OVER w,
            COALESCE(b.quantity, 0) + SUM(d.quantity) OVER w,
            COALESCE(b.revenue_minor, 0) + SUM(d.revenue_minor) OVER w
          FROM (
            SELECT ${productSlots.currency} AS currency, ${productSlots.productId} AS product_id, ${day} AS day_slot,
              SUM(${productSlots.paidOrders}) AS paid_orders, SUM(${productSlots.quantity}) AS quantity,
              SUM(${productSlots.revenueMinor}) AS revenue_minor
            FROM ${productSlots}
            WHERE ${productSlots.slot} >= ${from} AND ${productSlots.slot} < ${until + SLOTS_PER_DAY}
            GROUP BY ${productSlots.currency}, ${productSlots.productId}, ${day}
            HAVING SUM(${productSlots.paidOrders}) <> 0
          ) d
          LEFT JOIN (
            SELECT DISTINCT r.currency, r.product_id, r.paid_orders, r.quantity, r.revenue_minor
            FROM ${productRunning} r
            JOIN (
              SELECT currency, product_id, MAX(day_slot) AS day_slot FROM ${productRunning}
              WHERE day_slot <= ${covered} GROUP BY currency, product_id
            ) l ON l.currency = r.currency AND l.product_id = r.product_id AND l.day_slot = r.day_slot
          ) b ON b.currency = d.currency AND b.product_id = d.product_id
          WINDOW w AS (PARTITION BY d.currency, d.product_id ORDER BY d.day_slot)
        `),
          );
      } catch (error) {
        // Another instance wrote the chunk first: go on from the mark it left, or fail if it left none.
        if (!this.adapter.isUniqueViolation(error) || (await this.productRunningMark()) === covered)
          throw error;
        continue;
      }
      // A backfill that moved the mark back meanwhile wins: the next report remakes its days.
      await this.write(
        this.db
          .update(rollupMarks)
          .set({ daySlot: until })
          .where(and(eq(rollupMarks.name, PRODUCT_RUNNING), eq(rollupMarks.daySlot, covered))),
      );
    }
    throw new Error("product_running kept changing under concurrent writes");
  }

  async crmHealth(): Promise<CrmHealth> {
    const { orders } = this.t;
    // Both read small index ranges: orders with a CRM attempt scheduled, and failed syncs.
    const [[waiting], [failed]] = await Promise.all([
      this.db
        .select({ count: count(), oldest: sql<Date | null>`min(${orders.paidAt})`.mapWith(orders.paidAt) })
        .from(orders)
        .where(isNotNull(orders.crmNextAttemptAt)),
      this.db
        .select({ count: count() })
        .from(orders)
        .where(and(eq(orders.crmSyncStatus, "failed"), isNotNull(orders.paidAt))),
    ]);
    return {
      waiting: Number(waiting?.count ?? 0),
      failed: Number(failed?.count ?? 0),
      oldestWaitingPaidAt: waiting?.oldest ?? null,
    };
  }

  async attachPaymentSession(orderId: number, session: { id: string; expiresAt: Date }): Promise<boolean> {
    const { orders } = this.t;
    return this.updateOrders(
      {
        paymentSessionId: session.id,
        paymentSessionExpiresAt: session.expiresAt,
        paymentStatus: "open",
      },
      and(eq(orders.id, orderId), eq(orders.status, "pending")),
    );
  }

  markOrderPaid(orderId: number, payment: Payment): Promise<boolean> {
    return this.changePendingOrder(orderId, paidChanges(payment));
  }

  async recordPaymentStatus(orderId: number, sessionId: string, paymentStatus: string): Promise<boolean> {
    const { orders } = this.t;
    return this.updateOrders(
      { paymentStatus },
      and(eq(orders.id, orderId), eq(orders.status, "pending"), eq(orders.paymentSessionId, sessionId)),
    );
  }

  cancelOrder(orderId: number, at: Date): Promise<boolean> {
    return this.changePendingOrder(orderId, { status: "cancelled", cancelledAt: at });
  }

  async findOrderIdByPaymentIntent(paymentIntentId: string): Promise<number | undefined> {
    const { orders, refunds } = this.t;
    const [paid] = await this.db
      .select({ id: orders.id })
      .from(orders)
      .where(eq(orders.paymentIntentId, paymentIntentId))
      .limit(1);
    if (paid) return paid.id;
    const [second] = await this.db
      .select({ id: refunds.orderId })
      .from(refunds)
      .where(eq(refunds.paymentIntentId, paymentIntentId))
      .limit(1);
    return second?.id;
  }

  reserveRefund(attempt: NewRefundAttempt): Promise<Refund | undefined> {
    return this.adapter.transaction(async (tx) => {
      const order = await this.lockOrder(tx, attempt.orderId);
      if (!order || (attempt.appliesToOrder && refundable(order) < attempt.amountMinor)) return undefined;
      return this.saveRefund(tx, order, undefined, this.newRefundRow({ ...attempt, ...NO_ANSWER_YET }));
    });
  }

  recordRefundAttemptOnce(attempt: NewRefundAttempt): Promise<Refund> {
    return this.adapter.transaction(async (tx) => {
      const order = await this.lockOrder(tx, attempt.orderId);
      if (!order) throw new Error(`order ${attempt.orderId} does not exist`);
      const known = await this.lockRefund(tx, eq(this.t.refunds.attemptKey, attempt.attemptKey as string));
      return (
        known ?? this.saveRefund(tx, order, undefined, this.newRefundRow({ ...attempt, ...NO_ANSWER_YET }))
      );
    });
  }

  private newRefundRow(
    row: Omit<DiscoveredRefund, "createdAt" | "stripeRefundId"> & {
      stripeRefundId: string | null;
      createdAt?: Date;
    },
  ): typeof this.t.refunds.$inferInsert {
    const now = new Date();
    const succeeded = row.status === "succeeded";
    return {
      ...row,
      createdAt: row.createdAt ?? now,
      updatedAt: now,
      crmSyncStatus: succeeded ? "pending" : null,
      crmNextAttemptAt: succeeded ? now : null,
    };
  }

  /**
   * Writes a refund row (new when `before` is undefined) of the locked order, then the order's refund sums and
   * status as the ledger's rules say (db/refund-ledger.ts); both are flagged for the reports to count.
   */
  private async saveRefund(
    tx: Db,
    order: Order,
    before: Refund | undefined,
    changes: Partial<typeof this.t.refunds.$inferInsert>,
  ): Promise<Refund> {
    const { refunds } = this.t;
    let id = before?.id;
    if (before)
      await tx
        .update(refunds)
        .set({ ...changes, reportPending: true })
        .where(eq(refunds.id, before.id));
    else id = this.adapter.readWrite(await tx.insert(refunds).values(changes as Refund)).insertId;
    const after = (await this.lockRefund(tx, eq(refunds.id, id as number))) as Refund;
    await tx
      .update(this.t.orders)
      .set({ ...afterRefundChange(order, before, after), reportPending: true })
      .where(eq(this.t.orders.id, order.id));
    return after;
  }

  private async lockRefund(tx: Db, where: SQL): Promise<Refund | undefined> {
    const [row] = await this.adapter.forUpdate(tx.select().from(this.t.refunds).where(where).limit(1));
    return row;
  }

  private async refundWhere(where: SQL): Promise<Refund | undefined> {
    const [row] = await this.db.select().from(this.t.refunds).where(where).limit(1);
    return row;
  }

  async findRefund(id: number): Promise<RefundView | undefined> {
    const refund = await this.refundWhere(eq(this.t.refunds.id, id));
    const order = refund && (await this.findOrder(refund.orderId));
    return refund && order ? { ...refund, order } : undefined;
  }

  findRefundByAttemptKey(attemptKey: string): Promise<Refund | undefined> {
    return this.refundWhere(eq(this.t.refunds.attemptKey, attemptKey));
  }

  /**
   * The order's row is locked first, as by every write of a refund, so that concurrent writes of one order's
   * refunds queue on it instead of locking refund rows in different orders.
   */
  recordStripeRefund(refund: DiscoveredRefund, now: Date): Promise<Refund> {
    const { refunds } = this.t;
    return this.adapter.transaction(async (tx) => {
      const order = await this.lockOrder(tx, refund.orderId);
      if (!order) throw new Error(`order ${refund.orderId} does not exist`);
      const attempt = refund.attemptKey
        ? await this.lockRefund(tx, eq(refunds.attemptKey, refund.attemptKey))
        : undefined;
      // An attempt of ours (pending, or failed when its answer never came) learns its Stripe id.
      if (attempt && attempt.stripeRefundId === null)
        return this.saveRefund(tx, order, attempt, {
          stripeRefundId: refund.stripeRefundId,
          ...refundStateChanges(attempt, refund, now),
        });
      const known = await this.lockRefund(tx, eq(refunds.stripeRefundId, refund.stripeRefundId));
      if (!known)
        return this.saveRefund(tx, order, undefined, this.newRefundRow({ ...refund, attemptKey: null }));
      // A status only moves forward: pending -> succeeded | failed, succeeded -> failed.
      const moves =
        refund.status === "failed"
          ? known.status === "pending" || known.status === "succeeded"
          : known.status === "pending";
      return moves ? this.saveRefund(tx, order, known, refundStateChanges(known, refund, now)) : known;
    });
  }

  async failRefundAttempt(id: number, failure: string, now: Date): Promise<boolean> {
    const attempt = await this.refundWhere(eq(this.t.refunds.id, id));
    if (!attempt) return false;
    return this.adapter.transaction(async (tx) => {
      const order = (await this.lockOrder(tx, attempt.orderId)) as Order;
      const current = await this.lockRefund(tx, eq(this.t.refunds.id, id));
      if (current?.status !== "pending" || current.stripeRefundId !== null) return false;
      await this.saveRefund(tx, order, current, {
        status: "failed",
        failure: failure.slice(0, 500),
        updatedAt: now,
      });
      return true;
    });
  }

  listStaleRefundAttempts(before: Date, limit: number): Promise<Refund[]> {
    const { refunds } = this.t;
    return this.db
      .select()
      .from(refunds)
      .where(
        and(eq(refunds.status, "pending"), lt(refunds.createdAt, before), isNull(refunds.stripeRefundId)),
      )
      .orderBy(asc(refunds.createdAt))
      .limit(limit);
  }

  protected refundCrmDue(now: Date) {
    const { refunds } = this.t;
    return and(
      eq(refunds.status, "succeeded"),
      inArray(refunds.crmSyncStatus, ["pending", "failed"]),
      lte(refunds.crmNextAttemptAt, now),
      or(isNull(refunds.crmClaimedUntil), lt(refunds.crmClaimedUntil, now)),
    );
  }

  async listDueCrmRefundIds(now: Date, limit: number): Promise<number[]> {
    const { refunds } = this.t;
    const rows = await this.db
      .select({ id: refunds.id })
      .from(refunds)
      .where(this.refundCrmDue(now))
      .orderBy(asc(refunds.crmNextAttemptAt))
      .limit(limit);
    return rows.map((row) => row.id);
  }

  private async updateRefunds(
    changes: MySqlUpdateSetSource<Tables["refunds"]>,
    where: SQL | undefined,
  ): Promise<boolean> {
    const { affectedRows } = await this.write(this.db.update(this.t.refunds).set(changes).where(where));
    return affectedRows > 0;
  }

  claimCrmRefundSync(refundId: number, now: Date, leaseUntil: Date): Promise<boolean> {
    const { refunds } = this.t;
    return this.updateRefunds(
      { crmClaimedUntil: leaseUntil },
      and(eq(refunds.id, refundId), this.refundCrmDue(now)),
    );
  }

  recordCrmRefundSuccess(
    refundId: number,
    leaseUntil: Date,
    result: { reference: string | null; syncedAt: Date },
  ): Promise<boolean> {
    const { refunds } = this.t;
    return this.updateRefunds(
      {
        crmSyncStatus: "success",
        crmAttempts: sql`${refunds.crmAttempts} + 1`,
        crmReference: result.reference,
        crmSyncedAt: result.syncedAt,
        crmLastError: null,
        crmNextAttemptAt: null,
        crmClaimedUntil: null,
      },
      and(eq(refunds.id, refundId), eq(refunds.crmClaimedUntil, leaseUntil)),
    );
  }

  recordCrmRefundFailure(
    refundId: number,
    leaseUntil: Date,
    result: { error: string; attempts: number; nextAttemptAt: Date | null },
  ): Promise<boolean> {
    const { refunds } = this.t;
    return this.updateRefunds(
      {
        crmSyncStatus: "failed",
        crmAttempts: result.attempts,
        crmLastError: result.error.slice(0, 500),
        crmNextAttemptAt: result.nextAttemptAt,
        crmClaimedUntil: null,
      },
      and(eq(refunds.id, refundId), eq(refunds.crmClaimedUntil, leaseUntil)),
    );
  }

  requestCrmRefundResync(refundId: number, now: Date): Promise<boolean> {
    const { refunds } = this.t;
    return this.updateRefunds(
      { crmSyncStatus: "pending", crmAttempts: 0, crmNextAttemptAt: now },
      and(eq(refunds.id, refundId), eq(refunds.status, "succeeded"), eq(refunds.crmSyncStatus, "failed")),
    );
  }

  /** A conditional update of orders: true when it changed a row, which is how races are decided. */
  protected async updateOrders(
    changes: MySqlUpdateSetSource<Tables["orders"]>,
    where: SQL | undefined,
  ): Promise<boolean> {
    const { affectedRows } = await this.write(this.db.update(this.t.orders).set(changes).where(where));
    return affectedRows > 0;
  }

  protected crmDue(now: Date) {
    const { orders } = this.t;
    return and(
      isNotNull(orders.paidAt),
      inArray(orders.crmSyncStatus, ["pending", "failed"]),
      lte(orders.crmNextAttemptAt, now),
      or(isNull(orders.crmClaimedUntil), lt(orders.crmClaimedUntil, now)),
    );
  }

  async listDueCrmOrderIds(now: Date, limit: number): Promise<number[]> {
    const { orders } = this.t;
    const rows = await this.db
      .select({ id: orders.id })
      .from(orders)
      .where(this.crmDue(now))
      .orderBy(asc(orders.crmNextAttemptAt))
      .limit(limit);
    return rows.map((row) => row.id);
  }

  async claimCrmSync(orderId: number, now: Date, leaseUntil: Date): Promise<boolean> {
    const { orders } = this.t;
    return this.updateOrders({ crmClaimedUntil: leaseUntil }, and(eq(orders.id, orderId), this.crmDue(now)));
  }

  async recordCrmSuccess(
    orderId: number,
    leaseUntil: Date,
    result: { reference: string | null; syncedAt: Date },
  ): Promise<boolean> {
    const { orders } = this.t;
    return this.updateOrders(
      {
        crmSyncStatus: "success",
        crmAttempts: sql`${orders.crmAttempts} + 1`,
        crmReference: result.reference,
        crmSyncedAt: result.syncedAt,
        crmLastError: null,
        crmNextAttemptAt: null,
        crmClaimedUntil: null,
      },
      and(eq(orders.id, orderId), eq(orders.crmClaimedUntil, leaseUntil)),
    );
  }

  async recordCrmFailure(
    orderId: number,
    leaseUntil: Date,
    result: { error: string; attempts: number; nextAttemptAt: Date | null },
  ): Promise<boolean> {
    const { orders } = this.t;
    return this.updateOrders(
      {
        crmSyncStatus: "failed",
        crmAttempts: result.attempts,
        crmLastError: result.error.slice(0, 500),
        crmNextAttemptAt: result.nextAttemptAt,
        crmClaimedUntil: null,
      },
      and(eq(orders.id, orderId), eq(orders.crmClaimedUntil, leaseUntil)),
    );
  }

  async requestCrmResync(orderId: number, now: Date): Promise<boolean> {
    const { orders } = this.t;
    return this.updateOrders(
      { crmSyncStatus: "pending", crmAttempts: 0, crmNextAttemptAt: now },
      and(eq(orders.id, orderId), isNotNull(orders.paidAt), eq(orders.crmSyncStatus, "failed")),
    );
  }

  async reserveAuthAttempt(keyHash: string, rule: AuthLimitRule, now: Date): Promise<AuthReservation> {
    const { authLimits } = this.t;
    const windowEndsAt = new Date(now.getTime() + rule.windowMs);
    for (let attempt = 0; attempt < 5; attempt++) {
      // A window that ended starts afresh. Its lockouts are remembered for a day, so the next lasts longer.
      await this.write(
        this.db
          .update(authLimits)
          .set({ count: 0, windowEndsAt, lockouts: 0 })
          .where(
            and(
              eq(authLimits.keyHash, keyHash),
              lte(authLimits.windowEndsAt, new Date(now.getTime() - DAY_MS)),
            ),
          ),
      );
      await this.write(
        this.db
          .update(authLimits)
          .set({ count: 0, windowEndsAt })
          .where(and(eq(authLimits.keyHash, keyHash), lte(authLimits.windowEndsAt, now))),
      );
      const { affectedRows } = await this.write(
        this.db
          .update(authLimits)
          .set({ count: sql`${authLimits.count} + 1` })
          .where(and(eq(authLimits.keyHash, keyHash), lt(authLimits.count, rule.limit))),
      );
      if (affectedRows > 0) return { allowed: true };
      const [row] = await this.db
        .select({ count: authLimits.count, windowEndsAt: authLimits.windowEndsAt })
        .from(authLimits)
        .where(eq(authLimits.keyHash, keyHash));
      // A row with room left was made or reset by a concurrent attempt after this one looked: try again.
      if (row && row.count >= rule.limit && row.windowEndsAt > now) {
        return { allowed: false, retryAt: row.windowEndsAt };
      }
      if (row) continue;
      try {
        await this.write(this.db.insert(authLimits).values({ keyHash, count: 1, windowEndsAt, lockouts: 0 }));
        return { allowed: true };
      } catch (error) {
        if (!this.adapter.isUniqueViolation(error)) throw error;
      }
    }
    throw new Error(`auth limit ${keyHash} kept changing under concurrent writes`);
  }

  async releaseAuthAttempt(keyHash: string): Promise<void> {
    const { authLimits } = this.t;
    await this.write(
      this.db
        .update(authLimits)
        .set({ count: sql`${authLimits.count} - 1` })
        .where(and(eq(authLimits.keyHash, keyHash), gt(authLimits.count, 0))),
    );
  }

  async resetAuthLimit(keyHash: string): Promise<void> {
    const { authLimits } = this.t;
    await this.write(this.db.delete(authLimits).where(eq(authLimits.keyHash, keyHash)));
  }

  async extendAuthLockout(keyHash: string, rule: AuthLimitRule, now: Date, maxLockMs: number): Promise<void> {
    const { authLimits } = this.t;
    const [row] = await this.db.select().from(authLimits).where(eq(authLimits.keyHash, keyHash));
    if (!row || row.count < rule.limit) return;
    const lockMs = Math.min(maxLockMs, rule.windowMs * 2 ** Math.min(row.lockouts, 30));
    const lockedUntil = new Date(Math.max(row.windowEndsAt.getTime(), now.getTime() + lockMs));
    await this.write(
      this.db
        .update(authLimits)
        .set({ windowEndsAt: lockedUntil, lockouts: row.lockouts + 1 })
        .where(and(eq(authLimits.keyHash, keyHash), eq(authLimits.lockouts, row.lockouts))),
    );
  }

  async pruneAuthLimits(before: Date): Promise<void> {
    const { authLimits } = this.t;
    await this.write(this.db.delete(authLimits).where(lt(authLimits.windowEndsAt, before)));
  }

  async createAdminSession(session: NewAdminSession): Promise<void> {
    await this.write(
      this.db.insert(this.t.adminSessions).values({ ...session, lastSeenAt: session.createdAt }),
    );
  }

  async findAdminSession(tokenHash: string, now: Date, idleSince: Date): Promise<User | undefined> {
    const { adminSessions, users } = this.t;
    const [row] = await this.db
      .select({ user: users })
      .from(adminSessions)
      .innerJoin(users, eq(users.id, adminSessions.userId))
      .where(
        and(
          eq(adminSessions.tokenHash, tokenHash),
          gt(adminSessions.expiresAt, now),
          gt(adminSessions.lastSeenAt, idleSince),
          eq(users.role, "admin"),
        ),
      )
      .limit(1);
    return row?.user;
  }

  async touchAdminSession(tokenHash: string, now: Date, staleBefore: Date): Promise<void> {
    const { adminSessions } = this.t;
    await this.write(
      this.db
        .update(adminSessions)
        .set({ lastSeenAt: now })
        .where(and(eq(adminSessions.tokenHash, tokenHash), lt(adminSessions.lastSeenAt, staleBefore))),
    );
  }

  async deleteAdminSession(tokenHash: string): Promise<void> {
    const { adminSessions } = this.t;
    await this.write(this.db.delete(adminSessions).where(eq(adminSessions.tokenHash, tokenHash)));
  }

  async deleteExpiredAdminSessions(now: Date, idleSince: Date): Promise<void> {
    const { adminSessions } = this.t;
    await this.write(
      this.db
        .delete(adminSessions)
        .where(or(lte(adminSessions.expiresAt, now), lte(adminSessions.lastSeenAt, idleSince))),
    );
  }

  async promoteToAdmin(userId: number, passwordHash: string): Promise<void> {
    const { adminSessions, users } = this.t;
    await this.write(this.db.update(users).set({ role: "admin", passwordHash }).where(eq(users.id, userId)));
    await this.write(this.db.delete(adminSessions).where(eq(adminSessions.userId, userId)));
  }

  async listProducts(page: PageRequest): Promise<Page<Product>> {
    const { products } = this.t;
    const [rows, [total]] = await Promise.all([
      this.db.select().from(products).orderBy(desc(products.id)).limit(page.limit).offset(page.offset),
      this.db.select({ count: count() }).from(products),
    ]);
    return { rows, count: Number(total?.count ?? 0) };
  }

  async updateProduct(id: number, changes: NewProduct): Promise<Product | undefined> {
    const { products } = this.t;
    await this.adapter.transaction(async (tx) => {
      const { affectedRows } = this.adapter.readWrite(
        await tx
          .update(products)
          .set({ ...changes, updatedAt: new Date() })
          .where(eq(products.id, id)),
      );
      if (affectedRows > 0) await this.catalogChanged(tx);
    });
    return this.findProduct(id);
  }

  removeProduct(id: number): Promise<ProductRemoval> {
    const { orders, products } = this.t;
    return this.adapter.transaction(async (tx) => {
      const [referenced] = await tx
        .select({ id: orders.id })
        .from(orders)
        .where(eq(orders.productId, id))
        .limit(1);
      const deactivate = async () =>
        this.adapter.readWrite(
          await tx.update(products).set({ active: false, updatedAt: new Date() }).where(eq(products.id, id)),
        ).affectedRows > 0
          ? "deactivated"
          : "missing";
      let removal: ProductRemoval;
      if (referenced) removal = await deactivate();
      else {
        try {
          const { affectedRows } = this.adapter.readWrite(
            await tx.delete(products).where(eq(products.id, id)),
          );
          removal = affectedRows > 0 ? "deleted" : "missing";
        } catch (error) {
          // An order of it was made since the check: it keeps its history.
          if (!this.adapter.isForeignKeyViolation(error)) throw error;
          removal = await deactivate();
        }
      }
      if (removal !== "missing") await this.catalogChanged(tx);
      return removal;
    });
  }

  private orderFilter(filter: OrderFilter) {
    const { orders } = this.t;
    return and(
      filter.status ? eq(orders.status, filter.status) : undefined,
      filter.crmSyncStatus
        ? and(isNotNull(orders.paidAt), eq(orders.crmSyncStatus, filter.crmSyncStatus))
        : undefined,
      filter.createdFrom ? gte(orders.createdAt, filter.createdFrom) : undefined,
      filter.createdBefore ? lt(orders.createdAt, filter.createdBefore) : undefined,
    );
  }

  async listOrders(filter: OrderFilter, page: PageRequest): Promise<Page<OrderView>> {
    const { orders } = this.t;
    const where = this.orderFilter(filter);
    const [rows, [total]] = await Promise.all([
      this.selectOrderViews().where(where).orderBy(desc(orders.id)).limit(page.limit).offset(page.offset),
      this.db.select({ count: count() }).from(orders).where(where),
    ]);
    return { rows: await this.withRefunds(rows), count: Number(total?.count ?? 0) };
  }

  async listOrdersBefore(
    filter: OrderFilter,
    beforeId: number | undefined,
    limit: number,
  ): Promise<OrderView[]> {
    const { orders } = this.t;
    const rows = await this.selectOrderViews()
      .where(and(this.orderFilter(filter), beforeId === undefined ? undefined : lt(orders.id, beforeId)))
      .orderBy(desc(orders.id))
      .limit(limit);
    return this.withRefunds(rows);
  }
}

function summaryOf(
  rows: {
    currency: string;
    status: string;
    orders: number | string;
    amountMinor: number | string;
    refundedMinor: number | string;
  }[],
): OrderSummary {
  const summary: OrderSummary = {
    totalOrders: 0,
    paidOrders: 0,
    pendingOrders: 0,
    cancelledOrders: 0,
    revenueMinorByCurrency: {},
    grossRevenueMinorByCurrency: {},
    refundedMinorByCurrency: {},
  };
  for (const row of rows) {
    const orders = Number(row.orders);
    // A currency whose orders were all deleted keeps a row of zeros; it is no longer one the shop sells in.
    if (orders === 0) continue;
    summary.totalOrders += orders;
    const paid = row.status === "paid" || row.status === "refunded";
    const gross = paid ? Number(row.amountMinor) : 0;
    const refunded = paid ? Number(row.refundedMinor) : 0;
    const add = (sums: Record<string, number>, amount: number) => {
      sums[row.currency] = (sums[row.currency] ?? 0) + amount;
    };
    add(summary.grossRevenueMinorByCurrency, gross);
    add(summary.refundedMinorByCurrency, refunded);
    add(summary.revenueMinorByCurrency, gross - refunded);
    if (paid) {
      summary.paidOrders += orders;
    } else if (row.status === "cancelled") {
      summary.cancelledOrders += orders;
    } else {
      summary.pendingOrders += orders;
    }
  }
  return summary;
}

type OrderViewRow = { order: Order; product: OrderView["product"]; customerEmail: string };

/** An attempt the app writes before it asks Stripe. */
const NO_ANSWER_YET = { status: "pending", stripeRefundId: null, failure: null } as const;

/** What Stripe's word on a refund changes on its row; a refund that succeeded is queued for the CRM once. */
function refundStateChanges(row: Refund, refund: StripeRefundState, now: Date) {
  const neverQueued = row.crmAttempts === 0 && row.crmSyncedAt === null && row.crmClaimedUntil === null;
  return {
    status: refund.status,
    failure: refund.failure,
    updatedAt: now,
    ...(refund.status === "succeeded" && {
      crmSyncStatus: row.crmSyncStatus ?? ("pending" as const),
      crmNextAttemptAt: neverQueued ? now : row.crmNextAttemptAt,
    }),
  };
}
