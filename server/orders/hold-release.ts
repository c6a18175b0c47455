import type { Store } from "../../db/store.ts";
import type { Config } from "../config.ts";
import type { Log } from "../http/logger.ts";
import { logPassFailure } from "../shared/failures.ts";
import { RepeatingPass } from "../shared/repeating-pass.ts";

const RELEASE_INTERVAL_MS = 60_000;
/** Orders released per pass: a backlog after a long stop drains over a few minutes, in short transactions. */
const RELEASE_BATCH = 500;

/**
 * Gives back, every minute, the units held by pending orders nobody pays: made longer ago than
 * CHECKOUT_SESSION_TTL_MINUTES, with no checkout or one that lapsed (its expiry event may never come). Runs next
 * to the CRM worker (CRM_WORKER=on); a pass on two instances at once releases each order once.
 */
export class HoldReleaser {
  private readonly passes: RepeatingPass;

  constructor(
    private readonly store: Pick<Store, "releaseLapsedHolds">,
    private readonly config: Pick<Config, "CHECKOUT_SESSION_TTL_MINUTES">,
    private readonly log: Log,
    intervalMs = RELEASE_INTERVAL_MS,
  ) {
    this.passes = new RepeatingPass(
      () => this.releaseOnce(),
      intervalMs,
      (error) => logPassFailure(log, "stock release failed", error),
    );
  }

  /** One pass: how many orders gave their units back. */
  async releaseOnce(now = new Date()): Promise<number> {
    const heldSince = new Date(now.getTime() - this.config.CHECKOUT_SESSION_TTL_MINUTES * 60_000);
    const released = await this.store.releaseLapsedHolds(now, heldSince, RELEASE_BATCH);
    if (released > 0) this.log({ level: "info", msg: "stock released from lapsed orders", orders: released });
    return released;
  }

  start(): void {
    this.passes.start();
  }

  stop(): Promise<void> {
    return this.passes.stop();
  }
}
