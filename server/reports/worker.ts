import type { Store } from "../../db/store.ts";
import type { Log } from "../http/logger.ts";

const FOLD_INTERVAL_MS = 60_000;

/**
 * Folds the orders and refunds changed since the last report into the report rollups every minute, next to the
 * CRM worker (CRM_WORKER=on). Reports fold first anyway; this keeps what the first report after a busy quiet
 * spell has to fold to about a minute of sales.
 */
export class ReportFolder {
  private timer: ReturnType<typeof setInterval> | undefined;
  private pass: Promise<unknown> | undefined;

  constructor(
    private readonly store: Pick<Store, "foldReportChanges">,
    private readonly log: Log,
    private readonly intervalMs = FOLD_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.pass ??= this.store
        .foldReportChanges()
        .catch((error) => this.log({ level: "error", msg: "report fold failed", error: String(error) }))
        .finally(() => {
          this.pass = undefined;
        });
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.pass;
  }
}
