import type { OrderView, Store } from "../../db/store.ts";
import type { Config } from "../config.ts";
import { postOrderToCrm } from "./client.ts";

type Log = (fields: Record<string, unknown>) => void;

/**
 * The claimant posts (at most CRM_TIMEOUT_MS), then records the outcome (at most two DB_TIMEOUT_MS: a pool
 * connection, then the statement). It posts only while its lease still covers both plus CLOCK_SKEW_MS, so nobody
 * can claim the order again before the outcome is written; the lease adds CLAIM_ALLOWANCE_MS for the claim and
 * the read before the post. A dead process's claim holds its order for leaseMs.
 */
const postAndRecordMs = (config: Config) => config.CRM_TIMEOUT_MS + 2 * config.DB_TIMEOUT_MS;
const CLOCK_SKEW_MS = 2000;
const CLAIM_ALLOWANCE_MS = 3000;
const leaseMs = (config: Config) => postAndRecordMs(config) + CLOCK_SKEW_MS + CLAIM_ALLOWANCE_MS;
const PASS_BATCH = 50;
const PASS_CONCURRENCY = 4;
const SETTLE_POLL_MS = 100;

/**
 * Sends paid orders to the CRM. All state is in the orders table (status, attempts, next attempt, lease), so
 * any process may pick up any due order after a restart or crash, and a lease keeps two from posting at once.
 */
export class CrmSync {
  private readonly inflight = new Map<number, Promise<void>>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private pass: Promise<number> | undefined;

  constructor(
    private readonly config: Config,
    private readonly store: Store,
    private readonly log: Log = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts syncing one order in the background (after it became paid, or was queued again). */
  syncSoon(orderId: number): void {
    if (this.inflight.has(orderId)) return;
    const attempt = this.syncOrder(orderId)
      .then(() => undefined)
      .catch((error) =>
        this.log({ level: "error", msg: "crm sync failed to run", order_id: orderId, error: String(error) }),
      )
      .finally(() => this.inflight.delete(orderId));
    this.inflight.set(orderId, attempt);
  }

  /** Claims the order if its sync is due and nobody holds it, posts it, and records the outcome. */
  async syncOrder(orderId: number): Promise<"success" | "failed" | "skipped"> {
    const started = this.now();
    const leaseUntil = new Date(started + leaseMs(this.config));
    if (!(await this.store.claimCrmSync(orderId, new Date(started), leaseUntil))) return "skipped";
    const order = await this.store.findOrder(orderId);
    if (!order) return "skipped";
    // A slow database ate the lease: the claim lapses and the next pass posts in time.
    if (this.now() + postAndRecordMs(this.config) + CLOCK_SKEW_MS > leaseUntil.getTime()) return "skipped";
    const result = await postOrderToCrm(this.config, order);
    if (result.ok) {
      await this.store.recordCrmSuccess(orderId, leaseUntil, {
        reference: result.reference,
        syncedAt: new Date(this.now()),
      });
      this.log({
        level: "info",
        msg: "crm sync succeeded",
        order_id: orderId,
        crm_reference: result.reference,
      });
      return "success";
    }
    const attempts = order.crmAttempts + 1;
    const nextAttemptAt =
      attempts < this.config.CRM_MAX_ATTEMPTS ? new Date(this.now() + this.backoffMs(attempts)) : null;
    await this.store.recordCrmFailure(orderId, leaseUntil, { error: result.error, attempts, nextAttemptAt });
    this.log({
      level: "warn",
      msg: "crm sync failed",
      order_id: orderId,
      attempts,
      error: result.error,
      next_attempt_at: nextAttemptAt?.toISOString() ?? null,
    });
    return "failed";
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
    const inflight = this.inflight.get(orderId);
    if (inflight) await Promise.race([inflight, sleep(budgetMs)]);
    for (;;) {
      const order = await this.store.findOrder(orderId);
      if (order?.status !== "paid" || order.crmSyncStatus !== "pending" || this.now() >= deadline)
        return order;
      await sleep(Math.min(SETTLE_POLL_MS, Math.max(0, deadline - this.now())));
    }
  }

  /** An admin's "Retry CRM sync" for a failed order; false when the order is not a failed sync. */
  async retry(orderId: number): Promise<boolean> {
    const queued = await this.store.requestCrmResync(orderId, new Date(this.now()));
    if (queued) this.syncSoon(orderId);
    return queued;
  }

  /** One pass over every due order; returns how many were attempted. */
  runPass(): Promise<number> {
    this.pass ??= this.runPassOnce().finally(() => {
      this.pass = undefined;
    });
    return this.pass;
  }

  private async runPassOnce(): Promise<number> {
    let attempted = 0;
    for (;;) {
      const due = (await this.store.listDueCrmOrderIds(new Date(this.now()), PASS_BATCH)).filter(
        (id) => !this.inflight.has(id),
      );
      if (due.length === 0) return attempted;
      let claimedAny = false;
      for (let index = 0; index < due.length; index += PASS_CONCURRENCY) {
        const outcomes = await Promise.all(
          due.slice(index, index + PASS_CONCURRENCY).map((id) => this.syncOrder(id)),
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
      void this.runPass().catch((error) =>
        this.log({ level: "error", msg: "crm pass failed", error: String(error) }),
      );
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
