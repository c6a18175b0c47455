import { and, asc, eq, isNull, lt, ne, type SQL } from "drizzle-orm";
import { crmEventOf, queueCrmEvent } from "./crm-state.ts";
import type { OrderViews } from "./order-views.ts";
import type { OrdersStore } from "./orders-store.ts";
import { afterRefundChange, refundable } from "./refund-ledger.ts";
import type {
  DiscoveredRefund,
  NewRefundAttempt,
  Order,
  Refund,
  RefundsPart,
  RefundView,
  StripeRefundState,
} from "./store.ts";
import { type Db, type DialectAdapter, StorePart } from "./store-part.ts";

/**
 * The refunds ledger's rows (docs/decisions/007-refunds-ledger.md): every write locks the order first, then
 * applies db/refund-ledger.ts's rules to the order in the same transaction.
 */
export class RefundsStore extends StorePart implements RefundsPart {
  constructor(
    adapter: DialectAdapter,
    private readonly orders: OrdersStore,
    private readonly views: OrderViews,
  ) {
    super(adapter);
  }

  reserveRefund(attempt: NewRefundAttempt): Promise<Refund | undefined> {
    return this.adapter.transaction(async (tx) => {
      const order = await this.orders.lockOrder(tx, attempt.orderId);
      if (!order || (attempt.appliesToOrder && refundable(order) < attempt.amountMinor)) return undefined;
      return this.saveRefund(tx, order, undefined, this.newRefundRow({ ...attempt, ...NO_ANSWER_YET }));
    });
  }

  recordRefundAttemptOnce(attempt: NewRefundAttempt): Promise<Refund> {
    return this.adapter.transaction(async (tx) => {
      const order = await this.orders.lockOrder(tx, attempt.orderId);
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
    return { ...row, createdAt: row.createdAt ?? now, updatedAt: now };
  }

  /**
   * Writes a refund row (new when `before` is undefined) of the locked order, then the order's refund sums and
   * status as the ledger's rules say (db/refund-ledger.ts), both flagged for the reports to count, and the
   * refund's CRM event.
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
    const orderChanges = afterRefundChange(order, before, after);
    // A change the order does not feel (a Stripe id learnt, a reason) leaves its row alone.
    if (Object.entries(orderChanges).some(([column, value]) => order[column as keyof Order] !== value))
      await tx
        .update(this.t.orders)
        .set({ ...orderChanges, reportPending: true })
        .where(eq(this.t.orders.id, order.id));
    await this.tellCrm(tx, before, after);
    return after;
  }

  /**
   * A refund that succeeded is queued for the CRM (once: a status never returns to succeeded); one that failed
   * after it succeeded is no longer sent, unless it was already.
   */
  private async tellCrm(tx: Db, before: Refund | undefined, after: Refund): Promise<void> {
    const subject = { kind: "refund" as const, subjectId: after.id };
    if (after.status === "succeeded" && before?.status !== "succeeded")
      await queueCrmEvent(tx, this.t, subject, after.updatedAt);
    else if (before?.status === "succeeded" && after.status !== "succeeded") {
      const { crmEvents } = this.t;
      await tx
        .update(crmEvents)
        .set({ nextAttemptAt: null })
        .where(and(crmEventOf(this.t, "refund", after.id), ne(crmEvents.status, "success")));
    }
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
    const [refund] = await this.views.refundsWithCrm(eq(this.t.refunds.id, id));
    const order = refund && (await this.views.findOrder(refund.orderId));
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
      const order = await this.orders.lockOrder(tx, refund.orderId);
      if (!order) throw new Error(`order ${refund.orderId} does not exist`);
      const attempt = refund.attemptKey
        ? await this.lockRefund(tx, eq(refunds.attemptKey, refund.attemptKey))
        : undefined;
      // An attempt of ours (pending, or failed when its answer never came) learns its Stripe id.
      if (attempt && attempt.stripeRefundId === null)
        return this.saveRefund(tx, order, attempt, {
          stripeRefundId: refund.stripeRefundId,
          ...refundStateChanges(refund, now),
        });
      const known = await this.lockRefund(tx, eq(refunds.stripeRefundId, refund.stripeRefundId));
      if (!known)
        return this.saveRefund(tx, order, undefined, this.newRefundRow({ ...refund, attemptKey: null }));
      // A status only moves forward: pending -> succeeded | failed, succeeded -> failed.
      const moves =
        refund.status === "failed"
          ? known.status === "pending" || known.status === "succeeded"
          : known.status === "pending";
      return moves ? this.saveRefund(tx, order, known, refundStateChanges(refund, now)) : known;
    });
  }

  async failRefundAttempt(id: number, failure: string, now: Date): Promise<boolean> {
    const attempt = await this.refundWhere(eq(this.t.refunds.id, id));
    if (!attempt) return false;
    return this.adapter.transaction(async (tx) => {
      const order = (await this.orders.lockOrder(tx, attempt.orderId)) as Order;
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
}

/** An attempt the app writes before it asks Stripe. */
const NO_ANSWER_YET = { status: "pending", stripeRefundId: null, failure: null } as const;

/** What Stripe's word on a refund changes on its row. */
function refundStateChanges(refund: StripeRefundState, now: Date) {
  return { status: refund.status, failure: refund.failure, updatedAt: now };
}
