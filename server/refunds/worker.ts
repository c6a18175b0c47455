import { logPassFailure } from "../shared/failures.ts";
import { RepeatingPass } from "../shared/repeating-pass.ts";
import { type RefundDeps, reconcileStaleAttempts } from "./service.ts";

const RECONCILE_INTERVAL_MS = 15_000;

/** Runs the refund reconciliation pass in the background, next to the CRM worker (CRM_WORKER=on). */
export class RefundReconciler {
  private readonly passes: RepeatingPass;

  constructor(private readonly deps: RefundDeps) {
    this.passes = new RepeatingPass(
      () => reconcileStaleAttempts(deps),
      RECONCILE_INTERVAL_MS,
      (error) => logPassFailure(deps.log, "refund reconciliation failed", error),
    );
  }

  start(): void {
    if (this.deps.stripe || this.deps.razorpay) this.passes.start({ now: true });
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }
}
