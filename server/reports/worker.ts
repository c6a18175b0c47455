import type { Store } from "../../db/store.ts";
import type { Log } from "../http/logger.ts";
import { logPassFailure } from "../shared/failures.ts";
import { RepeatingPass } from "../shared/repeating-pass.ts";

const FOLD_INTERVAL_MS = 60_000;

/**
 * Folds the orders and refunds changed since the last report into the report rollups every minute, next to the
 * CRM worker (CRM_WORKER=on). Reports fold first anyway; this keeps what the first report after a busy quiet
 * spell has to fold to about a minute of sales.
 */
export class ReportFolder {
  private readonly passes: RepeatingPass;

  constructor(store: Pick<Store, "foldReportChanges">, log: Log, intervalMs = FOLD_INTERVAL_MS) {
    this.passes = new RepeatingPass(
      () => store.foldReportChanges(),
      intervalMs,
      (error) => logPassFailure(log, "report fold failed", error),
    );
  }

  start(): void {
    this.passes.start();
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }
}
