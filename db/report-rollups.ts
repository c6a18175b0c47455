import { asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { MySqlTable } from "drizzle-orm/mysql-core";
import type { Order, Refund } from "./store.ts";
import type { Db, DialectAdapter, Tables } from "./store-part.ts";

/**
 * The report rollups (`order_totals`, `order_slots`, `product_slots`) follow from the orders and refunds alone.
 * Each order and refund row carries what the rollups count of it (`reported_*`) and a flag, `report_pending`,
 * that every write changing what they count sets, in the same statement. A report first folds the flagged rows
 * into the rollups: the difference between what was counted and what the row says now. So a purchase writes
 * only its own order row, never a row that every concurrent purchase also writes, and a report reads the
 * rollups (bounded by slots and currencies) and the few rows changed since the last report.
 * See docs/decisions/009-rules-in-transactions.md.
 */

const SLOT_MS = 900_000;
const SLOTS_PER_DAY = 96;
/** Changed rows folded per transaction: few enough that a fold holds its locks for milliseconds. */
const FOLD_BATCH = 500;
const PRODUCT_RUNNING = "product_running";

export const slotOf = (at: Date) => Math.floor(at.getTime() / SLOT_MS);

/** A line as the products report counts it. */
export interface LineFacts {
  productId: number;
  quantity: number;
  amountMinor: number;
}

/** What the rollups count of an order: its lines in the products report. */
export type OrderFacts = Pick<
  Order,
  "status" | "currency" | "amountMinor" | "refundedMinor" | "createdAt" | "paidAt"
> & { lines: LineFacts[] };

/** What the rollups count of a refund: only succeeded refunds of an order's own payment. */
export interface RefundFacts {
  appliesToOrder: boolean;
  status: string;
  amountMinor: number;
  currency: string;
  createdAt: Date;
}

/** An order as the rollups count it now: undefined when they never counted it. */
export function reportedOrder(order: OrderFacts & Order): OrderFacts | undefined {
  if (order.reportedStatus === null) return undefined;
  return {
    ...order,
    status: order.reportedStatus,
    paidAt: order.reportedPaidAt,
    refundedMinor: order.reportedRefundedMinor,
  };
}

/** A refund as the rollups count it now: undefined when they never counted it. */
export function reportedRefund(refund: Refund): RefundFacts | undefined {
  return refund.reportedStatus === null ? undefined : { ...refund, status: refund.reportedStatus };
}

export interface ReportDelta {
  rollup: "order_totals" | "order_slots" | "product_slots";
  currency: string;
  status: string;
  slot: number;
  productId: number;
  orders: number;
  paidOrders: number;
  quantity: number;
  amountMinor: number;
  refundedMinor: number;
  revenueMinor: number;
  refundsMinor: number;
}

const COUNTS = [
  "orders",
  "paidOrders",
  "quantity",
  "amountMinor",
  "refundedMinor",
  "revenueMinor",
  "refundsMinor",
] as const;

function delta(
  key: Pick<ReportDelta, "rollup" | "currency"> & Partial<ReportDelta>,
  sign: 1 | -1,
): ReportDelta {
  const row: ReportDelta = {
    status: "",
    slot: 0,
    productId: 0,
    orders: 0,
    paidOrders: 0,
    quantity: 0,
    amountMinor: 0,
    refundedMinor: 0,
    revenueMinor: 0,
    refundsMinor: 0,
    ...key,
  };
  for (const count of COUNTS) row[count] *= sign;
  return row;
}

/** An order in the rollups: once in its status' totals, in its creation slot and, paid, in its payment's slot. */
function orderRows(order: OrderFacts, sign: 1 | -1): ReportDelta[] {
  const { currency } = order;
  const rows = [
    delta(
      {
        rollup: "order_totals",
        currency,
        status: order.status,
        orders: 1,
        amountMinor: order.amountMinor,
        refundedMinor: order.refundedMinor,
      },
      sign,
    ),
    delta({ rollup: "order_slots", currency, slot: slotOf(order.createdAt), orders: 1 }, sign),
  ];
  if (order.paidAt) {
    const slot = slotOf(order.paidAt);
    rows.push(
      delta({ rollup: "order_slots", currency, slot, paidOrders: 1, revenueMinor: order.amountMinor }, sign),
      ...order.lines.map((line) =>
        delta(
          {
            rollup: "product_slots",
            currency,
            slot,
            productId: line.productId,
            paidOrders: 1,
            quantity: line.quantity,
            revenueMinor: line.amountMinor,
          },
          sign,
        ),
      ),
    );
  }
  return rows;
}

/** A refund in the rollups: its amount, once succeeded and of the order's own payment, in its creation slot. */
function refundRows(refund: RefundFacts, sign: 1 | -1): ReportDelta[] {
  if (!refund.appliesToOrder || refund.status !== "succeeded") return [];
  return [
    delta(
      {
        rollup: "order_slots",
        currency: refund.currency,
        slot: slotOf(refund.createdAt),
        refundsMinor: refund.amountMinor,
      },
      sign,
    ),
  ];
}

/** How the rollups change when an order goes from `before` to `after` (either missing: made, or removed). */
export function orderDeltas(before: OrderFacts | undefined, after: OrderFacts | undefined): ReportDelta[] {
  return netted([...(before ? orderRows(before, -1) : []), ...(after ? orderRows(after, 1) : [])]);
}

/** How the rollups' refund sums change when a refund row goes from `before` to `after`. */
export function refundDeltas(before: RefundFacts | undefined, after: RefundFacts | undefined): ReportDelta[] {
  return netted([...(before ? refundRows(before, -1) : []), ...(after ? refundRows(after, 1) : [])]);
}

const keyOf = (row: ReportDelta) =>
  `${row.rollup}|${row.currency}|${row.status}|${row.slot}|${row.productId}`;

/** Rows of one key added up; rows that add up to nothing left out. */
export function netted(rows: ReportDelta[]): ReportDelta[] {
  const byKey = new Map<string, ReportDelta>();
  for (const row of rows) {
    const known = byKey.get(keyOf(row));
    if (!known) byKey.set(keyOf(row), { ...row });
    else for (const count of COUNTS) known[count] += row[count];
  }
  return [...byKey.values()].filter((row) => COUNTS.some((count) => row[count] !== 0));
}

export class ReportRollups {
  constructor(
    private readonly adapter: DialectAdapter,
    private readonly t: Tables,
  ) {}

  /**
   * Folds every changed order and refund into the rollups, a batch per transaction, and marks them counted. The
   * rows are locked while they are folded, so two instances folding at once never count a change twice; on
   * MySQL the fold, like every transaction, reads committed rows only (READ COMMITTED), so it takes no gap lock
   * that would hold up purchases.
   */
  async fold(): Promise<void> {
    if (!(await this.anyPending())) return;
    for (;;) {
      const folded = await this.adapter.transaction((tx) => this.foldBatch(tx));
      if (folded < FOLD_BATCH) return;
    }
  }

  /** A plain read first: most reports find nothing to fold and take no lock. */
  private async anyPending(): Promise<boolean> {
    const [row] = await this.adapter.rows<{ pending: number | string }>(
      sql`select ${this.pendingExpression()} as pending`,
    );
    return Number(row?.pending) === 1;
  }

  /** 1 when an order or a refund changed since the last fold, else 0 (two index probes). */
  pendingExpression(): SQL {
    const { orders, refunds } = this.t;
    return sql`(exists (select 1 from ${orders} where ${orders.reportPending} = ${true})
      or exists (select 1 from ${refunds} where ${refunds.reportPending} = ${true}))`;
  }

  /** Folds up to a batch of changed orders and one of changed refunds; answers the larger batch's size. */
  private async foldBatch(tx: Db): Promise<number> {
    const { orders, refunds, orderTotals, orderSlots, productSlots } = this.t;
    // Orders before refunds, as every write of a refund locks them.
    const changedOrders = await this.adapter.forUpdate(
      tx
        .select()
        .from(orders)
        .where(eq(orders.reportPending, true))
        .orderBy(asc(orders.id))
        .limit(FOLD_BATCH),
    );
    const changedRefunds = await this.adapter.forUpdate(
      tx
        .select()
        .from(refunds)
        .where(eq(refunds.reportPending, true))
        .orderBy(asc(refunds.id))
        .limit(FOLD_BATCH),
    );
    if (changedOrders.length === 0 && changedRefunds.length === 0) return 0;
    const withLines = await this.withLines(tx, changedOrders);
    const sums = netted([
      ...withLines.flatMap((order) => orderDeltas(reportedOrder(order), order)),
      ...changedRefunds.flatMap((refund) => refundDeltas(reportedRefund(refund), refund)),
    ]);
    const of = (rollup: ReportDelta["rollup"]) => sums.filter((row) => row.rollup === rollup);
    const products = of("product_slots");
    await this.addTo(
      tx,
      orderTotals,
      ["currency", "status"],
      ["orders", "amountMinor", "refundedMinor"],
      of("order_totals"),
    );
    await this.addTo(
      tx,
      orderSlots,
      ["slot", "currency"],
      ["orders", "paidOrders", "revenueMinor", "refundsMinor"],
      of("order_slots"),
    );
    await this.addTo(
      tx,
      productSlots,
      ["slot", "productId", "currency"],
      ["paidOrders", "quantity", "revenueMinor"],
      products,
    );
    await this.moveProductRunningMarkBack(tx, products);
    if (changedOrders.length > 0)
      await this.adapter.run(
        tx,
        sql`update ${orders} set ${countedOrderColumns(this.t)} where ${inArray(
          orders.id,
          changedOrders.map((order) => order.id),
        )}`,
      );
    if (changedRefunds.length > 0)
      await this.adapter.run(
        tx,
        sql`update ${refunds} set ${countedRefundColumns(this.t)} where ${inArray(
          refunds.id,
          changedRefunds.map((refund) => refund.id),
        )}`,
      );
    return Math.max(changedOrders.length, changedRefunds.length);
  }

  /** The orders' lines (a line's facts never change): a one-line order's are its own row's. */
  private async withLines(tx: Db, changed: Order[]): Promise<(Order & OrderFacts)[]> {
    const { orderItems } = this.t;
    const baskets = changed.filter((order) => order.itemCount > 1).map((order) => order.id);
    const lines =
      baskets.length === 0
        ? []
        : await tx
            .select({
              orderId: orderItems.orderId,
              productId: orderItems.productId,
              quantity: orderItems.quantity,
              amountMinor: orderItems.amountMinor,
            })
            .from(orderItems)
            .where(inArray(orderItems.orderId, baskets));
    return changed.map((order) => {
      const own = lines.filter((line) => line.orderId === order.id);
      return {
        ...order,
        lines:
          own.length > 0
            ? own
            : [{ productId: order.productId, quantity: order.quantity, amountMinor: order.amountMinor }],
      };
    });
  }

  private async addTo(tx: Db, table: MySqlTable, keys: string[], adds: string[], rows: ReportDelta[]) {
    if (rows.length > 0) await this.adapter.run(tx, this.adapter.upsertAdding(table, keys, adds, rows));
  }

  /**
   * `product_running` is complete through its mark's day; a change folded into a day at or before it (a late
   * refund's order, a backfill) moves the mark back to the day before, and the next products report remakes
   * the rows from there.
   */
  private async moveProductRunningMarkBack(tx: Db, products: ReportDelta[]): Promise<void> {
    if (products.length === 0) return;
    const { rollupMarks } = this.t;
    const firstSlot = Math.min(...products.map((row) => row.slot));
    const firstDay = firstSlot - (firstSlot % SLOTS_PER_DAY);
    const [mark] = await this.adapter.forUpdate(
      tx
        .select({ daySlot: rollupMarks.daySlot })
        .from(rollupMarks)
        .where(eq(rollupMarks.name, PRODUCT_RUNNING)),
    );
    if (mark && firstDay <= mark.daySlot)
      await tx
        .update(rollupMarks)
        .set({ daySlot: firstDay - SLOTS_PER_DAY })
        .where(eq(rollupMarks.name, PRODUCT_RUNNING));
  }
}

/** `reported_* = *`, unflagged: the orders are now counted as they are. */
export function countedOrderColumns({ orders }: Tables): SQL {
  const name = (column: { name: string }) => sql.identifier(column.name);
  return sql`${name(orders.reportPending)} = ${false}, ${name(orders.reportedStatus)} = ${orders.status},
    ${name(orders.reportedPaidAt)} = ${orders.paidAt}, ${name(orders.reportedRefundedMinor)} = ${orders.refundedMinor}`;
}

/** The same for refunds. */
export function countedRefundColumns({ refunds }: Tables): SQL {
  const name = (column: { name: string }) => sql.identifier(column.name);
  return sql`${name(refunds.reportPending)} = ${false}, ${name(refunds.reportedStatus)} = ${refunds.status}`;
}
