import type { CrmPart, CrmSubject, OrdersPart, OrderView, RefundsPart } from "../../db/store.ts";
import type { Config } from "../config.ts";
import { isDatabaseUnavailable, logPassFailure } from "../shared/failures.ts";
import {
  type CrmResult,
  crmIdempotencyKey,
  crmPayload,
  crmRefundIdempotencyKey,
  crmRefundPayload,
  postToCrm,
} from "./client.ts";

type Log = (fields: Record<string, unknown>) => void;

/**
 * The claimant posts (at most CRM_TIMEOUT_MS), then records the outcome (at most two DB_TIMEOUT_MS: a pool
 * connection, then the statement), and when the database cannot answer (a frozen or failing-over cluster), records
 * it again until FREEZE_ALLOWANCE_MS more have passed. It posts only while its lease still covers all that plus
 * CLOCK_SKEW_MS, so nobody can claim the order again before the outcome is written; the lease adds
 * CLAIM_ALLOWANCE_MS for the claim and the read before the post. A dead process's claim holds its order for
 * leaseMs. A CRM that honours the Idempotency-Key is safe even past that (docs/crm.md).
 */
const FREEZE_ALLOWANCE_MS = 15_000;
const postAndRecordMs = (config: Config) =>
  config.CRM_TIMEOUT_MS + 2 * config.DB_TIMEOUT_MS + FREEZE_ALLOWANCE_MS;
const CLOCK_SKEW_MS = 2000;
const CLAIM_ALLOWANCE_MS = 3000;
const RECORD_AGAIN_MS = 250;
const leaseMs = (config: Config) => postAndRecordMs(config) + CLOCK_SKEW_MS + CLAIM_ALLOWANCE_MS;
const PASS_BATCH = 50;
const PASS_CONCURRENCY = 4;
const SETTLE_POLL_MS = 100;

/** The sync state orders and refunds show, as their CRM event holds it (a refund's is null until it succeeded). */
type CrmState = { crmSyncStatus: OrderView["crmSyncStatus"] | null } & Pick<
  OrderView,
  "crmAttempts" | "crmLastError" | "crmNextAttemptAt" | "crmClaimedUntil" | "crmReference" | "crmSyncedAt"
>;

/** What an event is about, read to be posted: the order or refund with its sync state, and its post. */
interface Loaded {
  item: CrmState;
  post(): Promise<CrmResult>;
}

const keyOf = (subject: CrmSubject) => `${subject.kind}:${subject.subjectId}`;

/**
 * Sends paid orders and succeeded refunds to the CRM from one outbox (crm_events), whose rows hold all the state
 * (status, attempts, next attempt, lease): any process may pick up any due event after a restart or crash, and a
 * lease keeps two from posting at once.
 */
export class CrmSync {
  /** Syncs running in this process, each settling to the item as it recorded it (undefined: nothing recorded). */
  private readonly inflight = new Map<string, Promise<CrmState | undefined>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private pass: Promise<number> | undefined;

  constructor(
    private readonly config: Config,
    private readonly store: CrmPart & OrdersPart & RefundsPart,
    private readonly log: Log = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  private async load(subject: CrmSubject, known?: CrmState): Promise<Loaded | undefined> {
    const { config, store } = this;
    if (subject.kind === "order") {
      const order = (known as OrderView | undefined) ?? (await store.findOrder(subject.subjectId));
      return (
        order && {
          item: order,
          post: () => postToCrm(config, crmIdempotencyKey(order.id), crmPayload(config, order)),
        }
      );
    }
    const refund = await store.findRefund(subject.subjectId);
    // A refund that failed after it succeeded is no longer news for the CRM.
    return (
      (refund &&
        refund.status === "succeeded" && {
          item: refund,
          post: () => postToCrm(config, crmRefundIdempotencyKey(refund.id), crmRefundPayload(config, refund)),
        }) ||
      undefined
    );
  }

  /**
   * Starts syncing one order in the background (after it became paid, or was queued again). Given the order as
   * it now is, the sync posts it without reading it again.
   */
  syncSoon(orderId: number, known?: OrderView, claimedUntil?: Date): void {
    this.inBackground({ kind: "order", subjectId: orderId }, known, claimedUntil);
  }

  /** A lease taken now; markOrderPaid takes it with the payment, which spares the claim's own statement. */
  leaseFromNow(): Date {
    return new Date(this.now() + leaseMs(this.config));
  }

  /** Starts syncing one succeeded refund in the background. */
  syncRefundSoon(refundId: number): void {
    this.inBackground({ kind: "refund", subjectId: refundId });
  }

  private inBackground(subject: CrmSubject, known?: CrmState, claimedUntil?: Date): void {
    const key = keyOf(subject);
    if (this.inflight.has(key)) return;
    const attempt = this.sync(subject, known, claimedUntil)
      .then((result): CrmState | undefined => result.settled)
      .catch((error) => {
        logPassFailure(this.log, "crm sync failed to run", error, {
          [`${subject.kind}_id`]: subject.subjectId,
        });
        return undefined;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, attempt);
  }

  /** Claims the order's event if it is due and nobody holds it, posts the order, and records the outcome. */
  async syncOrder(orderId: number): Promise<"success" | "failed" | "skipped"> {
    return (await this.sync({ kind: "order", subjectId: orderId })).outcome;
  }

  async syncRefund(refundId: number): Promise<"success" | "failed" | "skipped"> {
    return (await this.sync({ kind: "refund", subjectId: refundId })).outcome;
  }

  /** The outcome, and the item as this sync recorded it (so a waiting caller need not read it back). */
  private async sync(
    subject: CrmSubject,
    known?: CrmState,
    claimedUntil?: Date,
  ): Promise<{ outcome: "success" | "failed" | "skipped"; settled?: CrmState }> {
    const started = this.now();
    const leaseUntil = claimedUntil ?? new Date(started + leaseMs(this.config));
    if (!claimedUntil && !(await this.store.claimCrmEvent(subject, new Date(started), leaseUntil)))
      return { outcome: "skipped" };
    const loaded = await this.load(subject, known);
    if (!loaded) return { outcome: "skipped" };
    const { item } = loaded;
    // A slow database ate the lease: the claim lapses and the next pass posts in time.
    if (this.now() + postAndRecordMs(this.config) + CLOCK_SKEW_MS > leaseUntil.getTime()) {
      return { outcome: "skipped" };
    }
    const result = await loaded.post();
    const logged = { [`${subject.kind}_id`]: subject.subjectId };
    if (result.ok) {
      const success = { reference: result.reference, syncedAt: new Date(this.now()) };
      const recorded = await this.withinLease(leaseUntil, () =>
        this.store.recordCrmSuccess(subject, leaseUntil, success),
      );
      this.log({ level: "info", msg: `crm sync succeeded`, ...logged, crm_reference: result.reference });
      const settled: CrmState = {
        ...item,
        crmSyncStatus: "success",
        crmAttempts: item.crmAttempts + 1,
        crmReference: success.reference,
        crmSyncedAt: success.syncedAt,
        crmLastError: null,
        crmNextAttemptAt: null,
        crmClaimedUntil: null,
      };
      return { outcome: "success", settled: recorded ? settled : undefined };
    }
    // The count goes on across an admin's retries (each gives a new round of CRM_MAX_ATTEMPTS), so the order's
    // page keeps saying how often the CRM was tried.
    const attempts = item.crmAttempts + 1;
    const inRound = ((attempts - 1) % this.config.CRM_MAX_ATTEMPTS) + 1;
    const nextAttemptAt =
      inRound < this.config.CRM_MAX_ATTEMPTS ? new Date(this.now() + this.backoffMs(inRound)) : null;
    const recorded = await this.withinLease(leaseUntil, () =>
      this.store.recordCrmFailure(subject, leaseUntil, { error: result.error, attempts, nextAttemptAt }),
    );
    this.log({
      level: "warn",
      msg: "crm sync failed",
      ...logged,
      attempts,
      error: result.error,
      next_attempt_at: nextAttemptAt?.toISOString() ?? null,
    });
    const settled: CrmState = {
      ...item,
      crmSyncStatus: "failed",
      crmAttempts: attempts,
      crmLastError: result.error.slice(0, 500),
      crmNextAttemptAt: nextAttemptAt,
      crmClaimedUntil: null,
    };
    return { outcome: "failed", settled: recorded ? settled : undefined };
  }

  /**
   * Writes the outcome of a post, again and again while the database cannot answer and the lease still keeps
   * everyone else away: giving up earlier would let the next claimant post the same order again.
   */
  private async withinLease<T>(leaseUntil: Date, write: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await write();
      } catch (error) {
        const timeLeft = leaseUntil.getTime() - CLOCK_SKEW_MS - this.now();
        if (!isDatabaseUnavailable(error) || timeLeft < 2 * this.config.DB_TIMEOUT_MS + RECORD_AGAIN_MS)
          throw error;
        await sleep(RECORD_AGAIN_MS);
      }
    }
  }

  /** Exponential backoff with "equal jitter": half the delay is fixed, half random. */
  backoffMs(attempts: number): number {
    const ceiling = Math.min(
      this.config.CRM_RETRY_MAX_MS,
      this.config.CRM_RETRY_BASE_MS * 2 ** (attempts - 1),
    );
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /**
   * Waits up to budgetMs for the order's sync to leave "pending", whoever is running it, and returns the order
   * as last read, so a caller that answers with the order needs no read of its own.
   */
  async awaitSettled(orderId: number, budgetMs: number): Promise<OrderView | undefined> {
    const deadline = this.now() + budgetMs;
    const inflight = this.inflight.get(keyOf({ kind: "order", subjectId: orderId }));
    if (inflight) {
      // A sync this process ran knows what it recorded: no need to read the order back.
      const settled = await Promise.race([inflight, sleep(budgetMs).then(() => undefined)]);
      if (settled && settled.crmSyncStatus !== "pending") return settled as OrderView;
    }
    for (;;) {
      const order = await this.store.findOrder(orderId);
      if (!order?.paidAt || order.crmSyncStatus !== "pending" || this.now() >= deadline) return order;
      await sleep(Math.min(SETTLE_POLL_MS, Math.max(0, deadline - this.now())));
    }
  }

  /** An admin's "Retry CRM sync" for a failed order; false when the order is not a failed sync. */
  async retry(orderId: number): Promise<boolean> {
    const subject = { kind: "order" as const, subjectId: orderId };
    const queued = await this.store.requestCrmResync(subject, new Date(this.now()));
    if (queued) this.syncSoon(orderId);
    return queued;
  }

  /** The same for a refund whose CRM event failed. */
  async retryRefund(refundId: number): Promise<boolean> {
    const subject = { kind: "refund" as const, subjectId: refundId };
    const queued = await this.store.requestCrmResync(subject, new Date(this.now()));
    if (queued) this.syncRefundSoon(refundId);
    return queued;
  }

  /** One pass over every due event; returns how many were attempted. */
  runPass(): Promise<number> {
    this.pass ??= this.runPassOnce().finally(() => {
      this.pass = undefined;
    });
    return this.pass;
  }

  private async runPassOnce(): Promise<number> {
    const adopted = await this.store.adoptLegacyCrmQueue(new Date(this.now()));
    if (adopted > 0)
      this.log({ level: "info", msg: "crm events adopted from the previous release", adopted });
    let attempted = 0;
    for (;;) {
      const due = (await this.store.listDueCrmEvents(new Date(this.now()), PASS_BATCH)).filter(
        (subject) => !this.inflight.has(keyOf(subject)),
      );
      if (due.length === 0) return attempted;
      let claimedAny = false;
      for (let index = 0; index < due.length; index += PASS_CONCURRENCY) {
        const outcomes = await Promise.all(
          due
            .slice(index, index + PASS_CONCURRENCY)
            .map(async (subject) => (await this.sync(subject)).outcome),
        );
        for (const outcome of outcomes) {
          if (outcome !== "skipped") {
            attempted++;
            claimedAny = true;
          }
        }
      }
      if (!claimedAny) return attempted;
    }
  }

  /** The in-process worker: a pass at start-up, then one every CRM_POLL_INTERVAL_MS. */
  start(): void {
    if (this.timer) return;
    const tick = () =>
      void this.runPass().catch((error) => logPassFailure(this.log, "crm pass failed", error));
    tick();
    this.timer = setInterval(tick, this.config.CRM_POLL_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([this.pass, ...this.inflight.values()]);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
