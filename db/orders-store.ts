import { and, asc, count, desc, eq, getTableColumns, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import { crmEventOf, crmStateColumns, queueCrmEvent } from "./crm-state.ts";
import {
  type CrmState,
  type CrmSyncStatus,
  type LegacyCrmColumns,
  type NewOrder,
  type Order,
  type OrderFilter,
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
  private readonly insertOrder;
  private readonly orderViewById;
  private readonly orderViewByIdForUser;

  constructor(adapter: DialectAdapter) {
    super(adapter);
    const { orders } = this.t;
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
      refunds: [],
    };
  }

  protected selectOrderViews() {
    const { orders, products, users, crmEvents } = this.t;
    return this.db
      .select({
        order: { ...shownOrderColumns(orders), ...crmStateColumns<CrmSyncStatus>(this.t, orders) },
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
      .innerJoin(users, eq(users.id, orders.userId))
      .leftJoin(crmEvents, crmEventOf(this.t, "order", orders.id));
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
    const byOrder = new Map<number, RefundWithCrm[]>();
    if (ids.length > 0) {
      for (const refund of await this.refundsWithCrm(inArray(this.t.refunds.orderId, ids)))
        byOrder.set(refund.orderId, [...(byOrder.get(refund.orderId) ?? []), refund]);
    }
    return rows.map((row) => ({
      ...row.order,
      product: row.product,
      customerEmail: row.customerEmail,
      refunds: byOrder.get(row.order.id) ?? [],
    }));
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

  /** Moves a pending order on, once (one conditional statement): false when it is not pending (any more). */
  private changePendingOrder(orderId: number, changes: Partial<Order>): Promise<boolean> {
    const { orders } = this.t;
    return this.updateOrders(
      { ...changes, reportPending: true },
      and(eq(orders.id, orderId), eq(orders.status, "pending")),
    );
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

  /** The payment and the order's CRM event, in one transaction (the outbox): false when it was not pending. */
  markOrderPaid(orderId: number, payment: Payment): Promise<boolean> {
    return this.adapter.transaction(async (tx) => {
      const { orders } = this.t;
      const { affectedRows } = this.adapter.readWrite(
        await tx
          .update(orders)
          .set({ ...paidChanges(payment), reportPending: true })
          .where(and(eq(orders.id, orderId), eq(orders.status, "pending"))),
      );
      if (affectedRows === 0) return false;
      const subject = { kind: "order" as const, subjectId: orderId };
      await queueCrmEvent(tx, this.t, subject, payment.paidAt, payment.crmClaimedUntil);
      return true;
    });
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

/** A refund's columns but the previous release's CRM columns. */
const shownRefundColumns = (refunds: Tables["refunds"]) =>
  without(getTableColumns(refunds), LEGACY_CRM_COLUMNS);

type OrderViewRow = {
  order: Omit<Order, ReportBookkeeping> & CrmState;
  product: OrderView["product"];
  customerEmail: string;
};
