import { and, type Column, eq, sql } from "drizzle-orm";
import type { CrmKind, CrmSubject, CrmSyncStatus } from "./entities.ts";
import type { Db, Tables } from "./store-part.ts";

/** The CRM event of each row whose id is `subjectId`: the condition of a left join on crm_events. */
export function crmEventOf(t: Tables, kind: CrmKind, subjectId: Column | number) {
  return and(eq(t.crmEvents.kind, kind), eq(t.crmEvents.subjectId, subjectId));
}

/**
 * An order's or refund's `crm*` fields, selected beside it through the left join on its event: the event's, or,
 * for a row with no event, the row's own previous-release columns (a row that release paid or refunded during a
 * rolling upgrade; an unpaid order's: a sync never tried). The next release reads the event only
 * (docs/decisions/010-crm-outbox.md).
 */
export function crmStateColumns<S extends CrmSyncStatus | null>(
  t: Tables,
  table: Tables["orders"] | Tables["refunds"],
) {
  const { crmEvents } = t;
  const either = <T>(event: Column, legacy: Column) =>
    sql`case when ${crmEvents.id} is null then ${legacy} else ${event} end`.mapWith(
      (value) => (value === null ? value : event.mapFromDriverValue(value)) as T,
    );
  return {
    crmSyncStatus: either<S>(crmEvents.status, table.legacyCrmSyncStatus),
    crmAttempts: either<number>(crmEvents.attempts, table.legacyCrmAttempts),
    crmLastError: either<string | null>(crmEvents.lastError, table.legacyCrmLastError),
    crmNextAttemptAt: either<Date | null>(crmEvents.nextAttemptAt, table.legacyCrmNextAttemptAt),
    crmClaimedUntil: either<Date | null>(crmEvents.claimedUntil, table.legacyCrmClaimedUntil),
    crmReference: either<string | null>(crmEvents.reference, table.legacyCrmReference),
    crmSyncedAt: either<Date | null>(crmEvents.syncedAt, table.legacyCrmSyncedAt),
  };
}

/**
 * The outbox's write: the event of a paid order or a succeeded refund, due at `dueAt`, in the transaction `tx`
 * that paid the order or recorded the refund (`claimedUntil`: the lease of the process that posts it at once).
 */
export async function queueCrmEvent(
  tx: Db,
  t: Tables,
  subject: CrmSubject,
  dueAt: Date,
  claimedUntil: Date | null = null,
): Promise<void> {
  await tx.insert(t.crmEvents).values({ ...subject, nextAttemptAt: dueAt, claimedUntil, createdAt: dueAt });
}
