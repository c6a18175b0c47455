import { and, type Column, eq } from "drizzle-orm";
import type { CrmKind, CrmState, CrmSubject } from "./entities.ts";
import type { Db, Tables } from "./store-part.ts";

/** The CRM event of each row whose id is `subjectId`: the condition of a left join on crm_events. */
export function crmEventOf(t: Tables, kind: CrmKind, subjectId: Column | number) {
  return and(eq(t.crmEvents.kind, kind), eq(t.crmEvents.subjectId, subjectId));
}

/** The event's columns an order or refund view shows, selected beside it through that join. */
export function crmStateColumns(t: Tables) {
  const { crmEvents } = t;
  return {
    status: crmEvents.status,
    attempts: crmEvents.attempts,
    lastError: crmEvents.lastError,
    nextAttemptAt: crmEvents.nextAttemptAt,
    claimedUntil: crmEvents.claimedUntil,
    reference: crmEvents.reference,
    syncedAt: crmEvents.syncedAt,
  };
}

type CrmStateRow = {
  status: CrmState["crmSyncStatus"] | null;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  claimedUntil: Date | null;
  reference: string | null;
  syncedAt: Date | null;
};

/**
 * The previous release's CRM columns of orders or refunds, in the shape of crmStateColumns: what a view shows of
 * a row that has no event (one that release paid or refunded during a rolling upgrade; not paid: never tried).
 * The next release drops them with the columns (docs/decisions/010-crm-outbox.md).
 */
export function legacyCrmStateColumns(table: Tables["orders"] | Tables["refunds"]) {
  return {
    status: table.legacyCrmSyncStatus,
    attempts: table.legacyCrmAttempts,
    lastError: table.legacyCrmLastError,
    nextAttemptAt: table.legacyCrmNextAttemptAt,
    claimedUntil: table.legacyCrmClaimedUntil,
    reference: table.legacyCrmReference,
    syncedAt: table.legacyCrmSyncedAt,
  };
}

/** The view's `crm*` fields: from the joined event, else from the row's previous-release columns. */
export function crmStateOf<S extends CrmState["crmSyncStatus"] | null>(
  event: CrmStateRow | null,
  legacy: CrmStateRow & { status: S },
): Omit<CrmState, "crmSyncStatus"> & { crmSyncStatus: CrmState["crmSyncStatus"] | S } {
  const state = event ?? legacy;
  return {
    crmSyncStatus: state.status as CrmState["crmSyncStatus"] | S,
    crmAttempts: state.attempts,
    crmLastError: state.lastError,
    crmNextAttemptAt: state.nextAttemptAt,
    crmClaimedUntil: state.claimedUntil,
    crmReference: state.reference,
    crmSyncedAt: state.syncedAt,
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
