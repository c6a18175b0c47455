import { and, count, eq, gte, lt, sql } from "drizzle-orm";
import { ProductRanking } from "./product-ranking.ts";
import { rebuildReportRollups } from "./report-rebuild.ts";
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
  private readonly products: ProductRanking;

  constructor(adapter: DialectAdapter) {
    super(adapter);
    this.rollups = new ReportRollups(adapter, adapter.tables);
    this.products = new ProductRanking(adapter);
  }

  foldReportChanges(): Promise<void> {
    return this.rollups.fold();
  }

  rebuildReportRollups(): Promise<void> {
    return rebuildReportRollups(this.adapter);
  }

  /**
   * The totals and whether anything waits to be folded come in one statement, since the summary is read often
   * and cheap: only when something waits does it fold and read them again.
   */
  async summarizeOrders(): Promise<OrderSummary> {
    let rows = await this.totalsAndPending();
    if (rows.some((row) => Number(row.pending) === 1)) {
      await this.rollups.fold();
      rows = await this.totalsAndPending();
    }
    return summaryOf(rows.filter((row) => row.currency !== null));
  }

  private totalsAndPending() {
    const { orderTotals } = this.t;
    return this.adapter.rows<SummaryRow & { pending: number | string }>(
      sql`select p.pending, t.currency, t.status, t.orders, t.amount_minor as amountMinor,
          t.refunded_minor as refundedMinor
        from (select ${this.rollups.pendingExpression()} as pending) p left join ${orderTotals} t on 1 = 1`,
    );
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
      return await this.products.rank(range);
    } finally {
      // The slot goes straight to the next in line, if any.
      const next = this.waitingProductReports.shift();
      if (next) next();
      else this.productReports--;
    }
  }
}

/**
 * Products reports computed at once per process: each holds two rows per product while it runs, and the database
 * (two cores in the benchmark) is what they wait for anyway; more at once only grew the memory past 200 MB.
 */
const PRODUCT_REPORTS_AT_ONCE = 2;

interface SummaryRow {
  currency: string;
  status: string;
  orders: number | string;
  amountMinor: number | string;
  refundedMinor: number | string;
}

function summaryOf(rows: SummaryRow[]): OrderSummary {
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
