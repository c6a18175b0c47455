import { and, asc, count, desc, eq, getTableColumns, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import { crmEventOf, crmStateColumns } from "./crm-state.ts";
import type {
  CrmSyncStatus,
  CustomerOrder,
  LegacyCrmColumns,
  Order,
  OrderedProduct,
  OrderFilter,
  OrderLine,
  OrderView,
  OrderViewsPart,
  Page,
  PageRequest,
  RefundWithCrm,
  ReportBookkeeping,
} from "./store.ts";
import { type Db, type DialectAdapter, lazy, StorePart, type Tables } from "./store-part.ts";

/**
 * Orders as the API, the admin pages and the CRM sync read them: with their product (or lines), customer, refunds
 * and CRM state, each in as few statements as the view allows.
 */
export class OrderViews extends StorePart implements OrderViewsPart {
  private readonly orderViewById;
  private readonly orderViewByIdForUser;
  private readonly customerOrderById;
  private readonly linesOfOrder;

  constructor(adapter: DialectAdapter) {
    super(adapter);
    const { orders, orderItems } = this.t;
    this.orderViewById = lazy(() =>
      this.selectOrderViews(adapter.preparedDb)
        .where(eq(orders.id, sql.placeholder("orderId")))
        .limit(1)
        .prepare(),
    );
    this.customerOrderById = lazy(() =>
      this.selectCustomerOrders(adapter.preparedDb)
        .where(and(eq(orders.id, sql.placeholder("orderId")), eq(orders.userId, sql.placeholder("userId"))))
        .limit(1)
        .prepare(),
    );
    this.orderViewByIdForUser = lazy(() =>
      this.selectOrderViews(adapter.preparedDb)
        .where(and(eq(orders.id, sql.placeholder("orderId")), eq(orders.userId, sql.placeholder("userId"))))
        .limit(1)
        .prepare(),
    );
    this.linesOfOrder = lazy(() =>
      this.selectLines(adapter.preparedDb)
        .where(eq(orderItems.orderId, sql.placeholder("orderId")))
        .prepare(),
    );
  }

  private selectOrderViews(on: Db = this.db) {
    const { orders, products, users, crmEvents } = this.t;
    return on
      .select({
        order: { ...shownOrderColumns(orders), ...crmStateColumns<CrmSyncStatus>(this.t, orders) },
        product: orderedProductColumns(products),
        customerEmail: users.email,
      })
      .from(orders)
      .innerJoin(products, eq(products.id, orders.productId))
      .innerJoin(users, eq(users.id, orders.userId))
      .leftJoin(crmEvents, crmEventOf(this.t, "order", orders.id));
  }

  /**
   * What a customer's order answer shows, and no more: 23 columns instead of the view's 37, no customer join and
   * one CRM column (the own-order read is the one every customer makes after paying; docs/performance.md).
   */
  private selectCustomerOrders(on: Db = this.db) {
    const { orders, products, crmEvents } = this.t;
    return on
      .select({
        order: {
          id: orders.id,
          status: orders.status,
          quantity: orders.quantity,
          unitPriceMinor: orders.unitPriceMinor,
          amountMinor: orders.amountMinor,
          currency: orders.currency,
          itemCount: orders.itemCount,
          refundCount: orders.refundCount,
          refundedMinor: orders.refundedMinor,
          createdAt: orders.createdAt,
          paidAt: orders.paidAt,
          cancelledAt: orders.cancelledAt,
          cancelReason: orders.cancelReason,
          paymentSessionId: orders.paymentSessionId,
          paymentSessionExpiresAt: orders.paymentSessionExpiresAt,
          paymentStatus: orders.paymentStatus,
          crmSyncStatus: crmStateColumns<CrmSyncStatus>(this.t, orders).crmSyncStatus,
        },
        product: orderedProductColumns(products),
      })
      .from(orders)
      .innerJoin(products, eq(products.id, orders.productId))
      .leftJoin(crmEvents, crmEventOf(this.t, "order", orders.id));
  }

  async findCustomerOrder(orderId: number, userId: number): Promise<CustomerOrder | undefined> {
    const [row] = await this.customerOrderById().execute({ orderId, userId });
    return row && (await this.complete([row]))[0];
  }

  async findOrder(orderId: number): Promise<OrderView | undefined> {
    const [row] = await this.orderViewById().execute({ orderId });
    return row && (await this.complete([row]))[0];
  }

  async findOrderForUser(orderId: number, userId: number): Promise<OrderView | undefined> {
    const [row] = await this.orderViewByIdForUser().execute({ orderId, userId });
    return row && (await this.complete([row]))[0];
  }

  async listOrdersForUser(userId: number, page: PageRequest): Promise<Page<CustomerOrder>> {
    const { orders } = this.t;
    const [rows, [total]] = await Promise.all([
      this.selectCustomerOrders()
        .where(eq(orders.userId, userId))
        .orderBy(desc(orders.id))
        .limit(page.limit)
        .offset(page.offset),
      this.db.select({ count: count() }).from(orders).where(eq(orders.userId, userId)),
    ]);
    return { rows: await this.complete(rows), count: Number(total?.count ?? 0) };
  }

  /**
   * The views' refunds and lines: only orders that have refunds (refund_count, kept by the refunds ledger) or
   * more than one line (item_count) cost a statement each, so a one-line order is read in one.
   */
  private async complete<R extends ViewRow>(rows: R[]): Promise<Completed<R>[]> {
    const refundIds = rows.filter((row) => row.order.refundCount > 0).map((row) => row.order.id);
    const basketIds = rows.filter((row) => row.order.itemCount > 1).map((row) => row.order.id);
    const [refunds, lines] = await Promise.all([
      refundIds.length > 0 ? this.refundsWithCrm(inArray(this.t.refunds.orderId, refundIds)) : [],
      basketIds.length > 0 ? this.linesOf(basketIds) : [],
    ]);
    const refundsByOrder = groupBy(refunds, (refund) => refund.orderId);
    const linesByOrder = groupBy(lines, (line) => line.orderId);
    return rows.map(({ order, product, ...rest }) => ({
      ...order,
      ...rest,
      product,
      items: linesByOrder.get(order.id)?.map(({ orderId: _, ...line }) => line) ?? [
        {
          product,
          quantity: order.quantity,
          unitPriceMinor: order.unitPriceMinor,
          amountMinor: order.amountMinor,
        },
      ],
      refunds: refundsByOrder.get(order.id) ?? [],
    })) as Completed<R>[];
  }

  /** The lines of the orders: one order's (a basket's own page) by the prepared statement, several in one IN. */
  private linesOf(orderIds: number[]): Promise<(OrderLine & { orderId: number })[]> {
    const { orderItems } = this.t;
    const [only] = orderIds;
    if (orderIds.length === 1 && only !== undefined) return this.linesOfOrder().execute({ orderId: only });
    return this.selectLines().where(inArray(orderItems.orderId, orderIds));
  }

  private selectLines(on: Db = this.db) {
    const { orderItems, products } = this.t;
    return on
      .select({
        orderId: orderItems.orderId,
        product: orderedProductColumns(products),
        quantity: orderItems.quantity,
        unitPriceMinor: orderItems.unitPriceMinor,
        amountMinor: orderItems.amountMinor,
      })
      .from(orderItems)
      .innerJoin(products, eq(products.id, orderItems.productId))
      .orderBy(asc(orderItems.orderId), asc(orderItems.line))
      .$dynamic();
  }

  /** Refunds with their CRM sync, oldest first. */
  async refundsWithCrm(where: SQL): Promise<RefundWithCrm[]> {
    const { refunds, crmEvents } = this.t;
    return this.db
      .select({ ...shownRefundColumns(refunds), ...crmStateColumns<CrmSyncStatus | null>(this.t, refunds) })
      .from(refunds)
      .leftJoin(crmEvents, crmEventOf(this.t, "refund", refunds.id))
      .where(where)
      .orderBy(asc(refunds.id));
  }

  private orderFilter(filter: OrderFilter) {
    const { orders } = this.t;
    return and(
      filter.status ? eq(orders.status, filter.status) : undefined,
      filter.crmSyncStatus
        ? inArray(
            orders.id,
            this.db
              .select({ id: this.t.crmEvents.subjectId })
              .from(this.t.crmEvents)
              .where(
                and(eq(this.t.crmEvents.kind, "order"), eq(this.t.crmEvents.status, filter.crmSyncStatus)),
              ),
          )
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
    return { rows: await this.complete(rows), count: Number(total?.count ?? 0) };
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
    return this.complete(rows);
  }
}

/** The previous release's CRM columns, which no view reads (db/crm-state.ts picks from them in SQL). */
const LEGACY_CRM_COLUMNS = [
  "legacyCrmSyncStatus",
  "legacyCrmAttempts",
  "legacyCrmLastError",
  "legacyCrmNextAttemptAt",
  "legacyCrmClaimedUntil",
  "legacyCrmReference",
  "legacyCrmSyncedAt",
] as const satisfies LegacyCrmColumns[];
const REPORT_BOOKKEEPING = [
  "reportPending",
  "reportedStatus",
  "reportedPaidAt",
  "reportedRefundedMinor",
] as const satisfies ReportBookkeeping[];

function without<T extends object, K extends keyof T>(columns: T, names: readonly K[]): Omit<T, K> {
  const kept = { ...columns };
  for (const name of names) delete kept[name];
  return kept;
}

/** An order's columns a view shows: neither the reports' bookkeeping nor the previous release's CRM columns. */
const shownOrderColumns = (orders: Tables["orders"]) =>
  without(getTableColumns(orders), [...REPORT_BOOKKEEPING, ...LEGACY_CRM_COLUMNS]);

/** A product's columns an order shows (OrderedProduct). */
const orderedProductColumns = (products: Tables["products"]) => ({
  id: products.id,
  name: products.name,
  priceMinor: products.priceMinor,
  currency: products.currency,
  imageHash: products.imageHash,
  imageWidth: products.imageWidth,
  imageHeight: products.imageHeight,
});

/** A refund's columns but the previous release's CRM columns. */
const shownRefundColumns = (refunds: Tables["refunds"]) =>
  without(getTableColumns(refunds), LEGACY_CRM_COLUMNS);

/** What `complete` needs of a row to add its lines and refunds. */
type ViewRow = {
  order: Pick<Order, "id" | "refundCount" | "itemCount" | "quantity" | "unitPriceMinor" | "amountMinor">;
  product: OrderedProduct;
};
type Completed<R extends ViewRow> = R["order"] &
  Omit<R, "order" | "product"> & { product: OrderedProduct; items: OrderLine[]; refunds: RefundWithCrm[] };

function groupBy<T>(items: T[], key: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
