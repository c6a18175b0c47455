import { type RefundDeps, reconcileStaleAttempts } from "./service.ts";

const RECONCILE_INTERVAL_MS = 15_000;

/** Runs the refund reconciliation pass in the background, next to the CRM worker (CRM_WORKER=on). */
export class RefundReconciler {
  private timer: ReturnType<typeof setInterval> | undefined;
  private pass: Promise<unknown> | undefined;

  constructor(private readonly deps: RefundDeps) {}

  start(): void {
    if (this.timer || !this.deps.stripe) return;
    const tick = () => {
      this.pass ??= reconcileStaleAttempts(this.deps)
        .catch((error) =>
          this.deps.log({ level: "error", msg: "refund reconciliation failed", error: String(error) }),
        )
        .finally(() => {
          this.pass = undefined;
        });
    };
    tick();
    this.timer = setInterval(tick, RECONCILE_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.pass;
  }
}
