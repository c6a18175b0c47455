import { and, count, eq, gte, inArray, lt, lte, sql } from "drizzle-orm";
import { ReportRollups } from "./report-rollups.ts";
import type { LocalDaySales, OrderSummary, ProductSales, ReportsPart, SlotSegment } from "./store.ts";
import { type DialectAdapter, StorePart } from "./store-part.ts";

/**
 * The reports: over the rollups (order_totals, order_slots, product_slots, product_running), each folding the
 * orders and refunds changed since the last report first (db/report-rollups.ts); none reads `orders`, but the
 * summary of one customer's own orders.
 */
export class ReportsStore extends StorePart implements ReportsPart {
  private productReports = 0;
  private readonly waitingProductReports: (() => void)[] = [];
  private readonly rollups: ReportRollups;

  constructor(adapter: DialectAdapter) {
    super(adapter);
    this.rollups = new ReportRollups(adapter, adapter.tables);
  }

  foldReportChanges(): Promise<void> {
    return this.rollups.fold();
  }

  rebuildReportRollups(): Promise<void> {
    return this.rollups.rebuild();
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
}

const _DAY_MS = 24 * 3600 * 1000;
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
