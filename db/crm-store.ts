import {
  and,
  asc,
  type Column,
  count,
  eq,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { crmEventOf } from "./crm-state.ts";
import type { CrmHealth, CrmKind, CrmPart, CrmSubject } from "./store.ts";
import { type DialectAdapter, StorePart, type Tables } from "./store-part.ts";

/** The most events one adoption pass moves, per kind. */
const ADOPT_BATCH = 100;

/**
 * The CRM outbox (crm_events): one queue of paid orders' and succeeded refunds' events. A claim is a lease
 * (claimed_until): only its holder may settle the attempt, and a lease left behind by a dead process simply runs
 * out.
 */
export class CrmStore extends StorePart implements CrmPart {
  constructor(adapter: DialectAdapter) {
    super(adapter);
  }

  async crmHealth(): Promise<CrmHealth> {
    const { crmEvents } = this.t;
    // Both read small index ranges: events with an attempt scheduled, and failed orders' events.
    const [[waiting], [failed]] = await Promise.all([
      this.db
        .select({
          count: count(),
          oldest: sql<Date | null>`min(${crmEvents.createdAt})`.mapWith(crmEvents.createdAt),
        })
        .from(crmEvents)
        .where(and(isNotNull(crmEvents.nextAttemptAt), eq(crmEvents.kind, "order"))),
      this.db
        .select({ count: count() })
        .from(crmEvents)
        .where(and(eq(crmEvents.kind, "order"), eq(crmEvents.status, "failed"))),
    ]);
    return {
      waiting: Number(waiting?.count ?? 0),
      failed: Number(failed?.count ?? 0),
      oldestWaitingPaidAt: waiting?.oldest ?? null,
    };
  }

  private due(now: Date) {
    const { crmEvents } = this.t;
    return and(
      inArray(crmEvents.status, ["pending", "failed"]),
      lte(crmEvents.nextAttemptAt, now),
      or(isNull(crmEvents.claimedUntil), lt(crmEvents.claimedUntil, now)),
    );
  }

  private event(subject: CrmSubject) {
    return crmEventOf(this.t, subject.kind, subject.subjectId);
  }

  private async updateEvent(
    changes: Partial<typeof this.t.crmEvents.$inferInsert> | Record<string, unknown>,
    where: ReturnType<typeof and>,
  ): Promise<boolean> {
    const { affectedRows } = await this.write(this.db.update(this.t.crmEvents).set(changes).where(where));
    return affectedRows > 0;
  }

  async listDueCrmEvents(now: Date, limit: number): Promise<CrmSubject[]> {
    const { crmEvents } = this.t;
    return this.db
      .select({ kind: crmEvents.kind, subjectId: crmEvents.subjectId })
      .from(crmEvents)
      .where(this.due(now))
      .orderBy(asc(crmEvents.nextAttemptAt))
      .limit(limit);
  }

  claimCrmEvent(subject: CrmSubject, now: Date, leaseUntil: Date): Promise<boolean> {
    return this.updateEvent({ claimedUntil: leaseUntil }, and(this.event(subject), this.due(now)));
  }

  recordCrmSuccess(
    subject: CrmSubject,
    leaseUntil: Date,
    result: { reference: string | null; syncedAt: Date },
  ): Promise<boolean> {
    const { crmEvents } = this.t;
    return this.updateEvent(
      {
        status: "success",
        attempts: sql`${crmEvents.attempts} + 1`,
        reference: result.reference,
        syncedAt: result.syncedAt,
        lastError: null,
        nextAttemptAt: null,
        claimedUntil: null,
      },
      and(this.event(subject), eq(crmEvents.claimedUntil, leaseUntil)),
    );
  }

  recordCrmFailure(
    subject: CrmSubject,
    leaseUntil: Date,
    result: { error: string; attempts: number; nextAttemptAt: Date | null },
  ): Promise<boolean> {
    const { crmEvents } = this.t;
    return this.updateEvent(
      {
        status: "failed",
        attempts: result.attempts,
        lastError: result.error.slice(0, 500),
        nextAttemptAt: result.nextAttemptAt,
        claimedUntil: null,
      },
      and(this.event(subject), eq(crmEvents.claimedUntil, leaseUntil)),
    );
  }

  requestCrmResync(subject: CrmSubject, now: Date): Promise<boolean> {
    const { crmEvents } = this.t;
    return this.updateEvent(
      { status: "pending", nextAttemptAt: now },
      and(this.event(subject), eq(crmEvents.status, "failed")),
    );
  }

  /**
   * Moves what the previous release queued on its own CRM columns during a rolling upgrade into events: only rows
   * whose lease has run out, locked, so that release can no longer claim them once their column is cleared. Goes
   * with those columns in the next release (docs/decisions/010-crm-outbox.md).
   */
  async adoptLegacyCrmQueue(now: Date): Promise<number> {
    const { orders, refunds } = this.t;
    const ofOrders = await this.adoptLegacy("order", orders, orders.paidAt, sql`1`, now);
    // That release only sent succeeded refunds: one that failed since stays unsent.
    const ofRefunds = await this.adoptLegacy(
      "refund",
      refunds,
      refunds.updatedAt,
      sql`${refunds.status} = 'succeeded'`,
      now,
    );
    return ofOrders + ofRefunds;
  }

  /** One kind's adoption: `since` becomes the event's creation time, `stillNews` says whether it is still sent. */
  private adoptLegacy(
    kind: CrmKind,
    table: Tables["orders"] | Tables["refunds"],
    since: Column,
    stillNews: SQL,
    now: Date,
  ): Promise<number> {
    const { crmEvents } = this.t;
    return this.adapter.transaction(async (tx) => {
      const rows = await this.adapter.forUpdate(
        tx
          .select({
            subjectId: table.id,
            status: table.legacyCrmSyncStatus,
            attempts: table.legacyCrmAttempts,
            lastError: table.legacyCrmLastError,
            nextAttemptAt: table.legacyCrmNextAttemptAt,
            since: sql`${since}`.mapWith((value) => since.mapFromDriverValue(value) as Date | null),
            stillNews: sql<unknown>`${stillNews}`,
          })
          .from(table)
          .where(
            and(
              isNotNull(table.legacyCrmNextAttemptAt),
              or(isNull(table.legacyCrmClaimedUntil), lt(table.legacyCrmClaimedUntil, now)),
            ),
          )
          .limit(ADOPT_BATCH),
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.subjectId);
      const known = new Set(
        (
          await tx
            .select({ id: crmEvents.subjectId })
            .from(crmEvents)
            .where(and(eq(crmEvents.kind, kind), inArray(crmEvents.subjectId, ids)))
        ).map((row) => row.id),
      );
      const adopted = rows
        .filter((row) => !known.has(row.subjectId))
        .map(({ since: createdAt, stillNews: news, status, nextAttemptAt, ...row }) => ({
          ...row,
          kind,
          status: status ?? "pending",
          nextAttemptAt: Number(news) ? nextAttemptAt : null,
          createdAt: createdAt ?? now,
        }));
      if (adopted.length > 0) await tx.insert(crmEvents).values(adopted);
      await tx.update(table).set({ legacyCrmNextAttemptAt: null }).where(inArray(table.id, ids));
      return adopted.length;
    });
  }
}
