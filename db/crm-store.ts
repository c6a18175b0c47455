import { and, asc, count, eq, inArray, isNotNull, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { CrmHealth, CrmPart } from "./store.ts";
import { type DialectAdapter, StorePart } from "./store-part.ts";

/**
 * The CRM queues of paid orders and succeeded refunds. A claim is a lease (crm_claimed_until): only its holder
 * may settle the attempt, and a lease left behind by a dead process simply runs out.
 */
export class CrmStore extends StorePart implements CrmPart {
  constructor(adapter: DialectAdapter) {
    super(adapter);
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
}
