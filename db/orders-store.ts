import {
  and,
  asc,
  count,
  desc,
  eq,
  getTableColumns,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { crmEventOf, crmStateColumns, queueCrmEvent } from "./crm-state.ts";
import { Stock, type StockLine } from "./stock.ts";
import {
  type CancelReason,
  type CrmSyncStatus,
  type CustomerOrder,
  type LegacyCrmColumns,
  type NewOrder,
  type Order,
  type OrderedProduct,
  type OrderFilter,
  type OrderLine,
  type OrdersPart,
  type OrderView,
  type Page,
  type PageRequest,
  type Payment,
  paidChanges,
  type RefundWithCrm,
  type ReportBookkeeping,
} from "./store.ts";
import { type Db, type DialectAdapter, lazy, StorePart, type Tables } from "./store-part.ts";

/** Orders and their payment: made, paid or cancelled once each, read with their product, customer and refunds. */
export class OrdersStore extends StorePart implements OrdersPart {
  private readonly stock: Stock;
  private readonly orderViewById;
  private readonly orderViewByIdForUser;
  private readonly customerOrderById;

  constructor(adapter: DialectAdapter) {
    super(adapter);
    this.stock = new Stock(adapter, this.t);
    const { orders } = this.t;
    this.orderViewById = lazy(() =>
      this.selectOrderViews()
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
      this.selectOrderViews()
        .where(and(eq(orders.id, sql.placeholder("orderId")), eq(orders.userId, sql.placeholder("userId"))))
        .limit(1)
        .prepare(),
    );
  }

  /**
   * The order, its lines and the hold on their units, in one transaction: when a line does not fit the stock,
   * StockShortError names every short line and nothing is written.
   */
  async createOrder(
    input: NewOrder,
    known?: { products: OrderedProduct[]; customerEmail: string },
  ): Promise<OrderView> {
    const { orders, orderItems } = this.t;
    const createdAt = new Date();
    const lines = input.lines.map((line) => ({ ...line, amountMinor: line.quantity * line.unitPriceMinor }));
    const [first] = lines;
    if (!first) throw new Error("an order needs at least one line");
    const amountMinor = lines.reduce((sum, line) => sum + line.amountMinor, 0);
    const head = {
      userId: input.userId,
      productId: first.productId,
      quantity: first.quantity,
      unitPriceMinor: first.unitPriceMinor,
      amountMinor,
      currency: input.currency,
      itemCount: lines.length,
    };
    const insertId = await this.adapter.transaction(async (tx) => {
      const reserved = await this.stock.reserve(tx, lines);
      const { insertId } = this.adapter.readWrite(
        await tx.insert(orders).values({ ...head, status: "pending", stockState: "held", createdAt }),
      );
      await tx.insert(orderItems).values(
        lines.map((line, index) => ({
          orderId: insertId,
          line: index + 1,
          productId: line.productId,
          quantity: line.quantity,
          unitPriceMinor: line.unitPriceMinor,
          amountMinor: line.amountMinor,
          reserved: reserved.has(line.productId),
        })),
      );
      return insertId;
    });
    if (!known) return (await this.findOrder(insertId)) as OrderView;
    // The columns' own defaults (schema.mysql.ts), as the insert left them.
    return {
      ...head,
      product: known.products[0] as OrderedProduct,
      items: lines.map((line, index) => ({
        product: known.products[index] as OrderedProduct,
        quantity: line.quantity,
        unitPriceMinor: line.unitPriceMinor,
        amountMinor: line.amountMinor,
      })),
      customerEmail: known.customerEmail,
      id: insertId,
      status: "pending",
      stockState: "held",
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
      cancelReason: null,
      refunds: [],
    };
  }

  protected selectOrderViews() {
    const { orders, products, users, crmEvents } = this.t;
    return this.db
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
  protected selectCustomerOrders(on: Db = this.db) {
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

  private linesOf(orderIds: number[]): Promise<(OrderLine & { orderId: number })[]> {
    const { orderItems, products } = this.t;
    return this.db
      .select({
        orderId: orderItems.orderId,
        product: orderedProductColumns(products),
        quantity: orderItems.quantity,
        unitPriceMinor: orderItems.unitPriceMinor,
        amountMinor: orderItems.amountMinor,
      })
      .from(orderItems)
      .innerJoin(products, eq(products.id, orderItems.productId))
      .where(inArray(orderItems.orderId, orderIds))
      .orderBy(asc(orderItems.orderId), asc(orderItems.line));
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

  /** The order's row, locked until the transaction ends. */
  async lockOrder(tx: Db, orderId: number): Promise<Order | undefined> {
    const { orders } = this.t;
    const [row] = await this.adapter.forUpdate(
      tx.select().from(orders).where(eq(orders.id, orderId)).limit(1),
    );
    return row;
  }

  /**
   * The order's new checkout session. A pending order that still holds its units (every first checkout) takes it
   * in one conditional statement; one whose units were released (an earlier checkout lapsed) takes it in one
   * transaction with holding them again: either way the lapse of the earlier session, recorded after this, no
   * longer applies to it (recordPaymentStatus checks the session).
   */
  async attachPaymentSession(orderId: number, session: { id: string; expiresAt: Date }): Promise<boolean> {
    const { orders, orderItems } = this.t;
    const attached = {
      paymentSessionId: session.id,
      paymentSessionExpiresAt: session.expiresAt,
      paymentStatus: "open" as const,
    };
    const stillHeld = and(
      eq(orders.id, orderId),
      eq(orders.status, "pending"),
      eq(orders.stockState, "held"),
    );
    if (await this.updateOrders(attached, stillHeld)) return true;
    return this.adapter.transaction(async (tx) => {
      const order = await this.lockPending(tx, orderId);
      if (!order) return false;
      if (order.stockState === "released") {
        const reserved = await this.stock.reserve(tx, await this.stockLines(tx, order));
        await tx.update(orderItems).set({ reserved: false }).where(eq(orderItems.orderId, orderId));
        if (reserved.size > 0)
          await tx
            .update(orderItems)
            .set({ reserved: true })
            .where(and(eq(orderItems.orderId, orderId), inArray(orderItems.productId, [...reserved])));
      }
      await tx
        .update(orders)
        .set({ ...attached, stockState: "held" })
        .where(eq(orders.id, orderId));
      return true;
    });
  }

  /**
   * The payment, the sale of its units and the order's CRM event, in one transaction (the outbox): false when
   * it was not pending; StockShortError (and nothing written) when units its hold no longer covers are gone.
   */
  markOrderPaid(orderId: number, payment: Payment): Promise<boolean> {
    return this.adapter.transaction(async (tx) => {
      const order = await this.lockPending(tx, orderId);
      if (!order) return false;
      await this.stock.sell(tx, await this.stockLines(tx, order), order.stockState === "held");
      await tx
        .update(this.t.orders)
        .set({ ...paidChanges(payment), stockState: "sold", reportPending: true })
        .where(eq(this.t.orders.id, orderId));
      const subject = { kind: "order" as const, subjectId: orderId };
      await queueCrmEvent(tx, this.t, subject, payment.paidAt, payment.crmClaimedUntil);
      return true;
    });
  }

  /** Records a non-paid outcome of the order's current session, which can no longer pay: its hold is released. */
  recordPaymentStatus(orderId: number, sessionId: string, paymentStatus: string): Promise<boolean> {
    return this.adapter.transaction(async (tx) => {
      const order = await this.lockPending(tx, orderId);
      if (!order || order.paymentSessionId !== sessionId) return false;
      await this.releaseHold(tx, order);
      await tx.update(this.t.orders).set({ paymentStatus }).where(eq(this.t.orders.id, orderId));
      return true;
    });
  }

  cancelOrder(orderId: number, at: Date, reason: CancelReason = "requested"): Promise<boolean> {
    return this.adapter.transaction(async (tx) => {
      const order = await this.lockPending(tx, orderId);
      if (!order) return false;
      await this.releaseHold(tx, order);
      await tx
        .update(this.t.orders)
        .set({ status: "cancelled", cancelledAt: at, cancelReason: reason, reportPending: true })
        .where(eq(this.t.orders.id, orderId));
      return true;
    });
  }

  async releaseLapsedHolds(now: Date, heldSince: Date, limit: number): Promise<number> {
    const { orders } = this.t;
    const lapsed = and(
      eq(orders.stockState, "held"),
      eq(orders.status, "pending"),
      lt(orders.createdAt, heldSince),
      or(isNull(orders.paymentSessionExpiresAt), lt(orders.paymentSessionExpiresAt, now)),
    );
    const candidates = await this.db.select({ id: orders.id }).from(orders).where(lapsed).limit(limit);
    let released = 0;
    for (const { id } of candidates) {
      const done = await this.adapter.transaction(async (tx) => {
        const [order] = await this.adapter.forUpdate(
          tx
            .select()
            .from(orders)
            .where(and(eq(orders.id, id), lapsed))
            .limit(1),
        );
        if (!order) return false;
        await this.releaseHold(tx, order);
        return true;
      });
      if (done) released++;
    }
    return released;
  }

  /** The pending order's row, locked until the transaction ends; undefined when it is not pending (any more). */
  private async lockPending(tx: Db, orderId: number): Promise<Order | undefined> {
    const order = await this.lockOrder(tx, orderId);
    return order?.status === "pending" ? order : undefined;
  }

  /** Gives back the units the order holds, once. */
  private async releaseHold(tx: Db, order: Order): Promise<void> {
    if (order.stockState !== "held") return;
    await this.stock.release(tx, await this.stockLines(tx, order));
    await tx.update(this.t.orders).set({ stockState: "released" }).where(eq(this.t.orders.id, order.id));
  }

  /** The order's lines as the stock sees them; an order of the previous release has no line rows but its own. */
  private async stockLines(tx: Db, order: Order): Promise<StockLine[]> {
    const { orderItems, products } = this.t;
    const lines = await tx
      .select({
        productId: orderItems.productId,
        quantity: orderItems.quantity,
        reserved: orderItems.reserved,
        limitedStock: isNotNull(products.stock),
      })
      .from(orderItems)
      .innerJoin(products, eq(products.id, orderItems.productId))
      .where(eq(orderItems.orderId, order.id));
    return lines.length > 0
      ? lines.map((line) => ({ ...line, limitedStock: Boolean(Number(line.limitedStock)) }))
      : [{ productId: order.productId, quantity: order.quantity, reserved: false, limitedStock: true }];
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
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
