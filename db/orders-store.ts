import { and, eq, inArray, isNotNull, isNull, lt, or } from "drizzle-orm";
import { queueCrmEvent } from "./crm-state.ts";
import type { OrderViews } from "./order-views.ts";
import { Stock, type StockLine } from "./stock.ts";
import {
  type CancelReason,
  type NewOrder,
  type Order,
  type OrderedProduct,
  type OrdersPart,
  type OrderView,
  type OrderViewsPart,
  type Payment,
  paidChanges,
} from "./store.ts";
import { type Db, type DialectAdapter, StorePart } from "./store-part.ts";

/**
 * Orders and their payment: made, paid or cancelled once each, every change in one transaction with the order's
 * row locked; their views are db/order-views.ts.
 */
export class OrdersStore extends StorePart implements Omit<OrdersPart, keyof OrderViewsPart> {
  private readonly stock: Stock;

  constructor(
    adapter: DialectAdapter,
    private readonly views: OrderViews,
  ) {
    super(adapter);
    this.stock = new Stock(adapter, this.t);
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
    if (!known) return (await this.views.findOrder(insertId)) as OrderView;
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
}
