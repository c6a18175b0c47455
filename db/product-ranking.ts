import { and, eq, gte, inArray, lt, lte, sql } from "drizzle-orm";
import type { ProductSales } from "./store.ts";
import { StorePart } from "./store-part.ts";

const SLOT_MS = 900_000;
const SLOTS_PER_DAY = 96;
/** A UTC day is closed (no payment of the present lands in it) once it ended a day ago. */
const CLOSED_AFTER_SLOTS = 2 * SLOTS_PER_DAY;
const DAYS_PER_CHUNK = 31;
const PRODUCT_RUNNING = "product_running";

interface RunningRow {
  productId: number;
  paidOrders: number | string;
  quantity: number | string;
  revenueMinor: number | string;
}

/**
 * The products report's ranking: the range's whole closed UTC days as the difference of two running totals
 * (`product_running`, made lazily here from `product_slots` and read once per product at each end), its ragged
 * ends and its last days from `product_slots` (docs/decisions/002-report-totals.md).
 */
export class ProductRanking extends StorePart {
  /** The products of one currency by revenue over [fromSlot, toSlot), highest first, ties by id. */
  async rank(range: {
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
