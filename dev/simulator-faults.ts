import type { Context, Hono, MiddlewareHandler } from "hono";

/** error: a 500 instead of the work; hang: no answer; hang-after: the work done, then no answer (a lost reply). */
const FAULT_MODES = ["error", "hang", "hang-after"] as const;
type FaultMode = (typeof FAULT_MODES)[number];
const HANG_MS = 60_000;

/**
 * The outages a test asks a payment simulator for: after `POST /__simulator/faults {"mode", "count"}`, the next
 * `count` API calls (default 1) fail that way, then the simulator answers again.
 */
export class SimulatedFaults {
  private fault: { mode: FaultMode; remaining: number } | undefined;

  /** Adds `POST /__simulator/faults` to the simulator. */
  route(app: Hono): void {
    app.post("/__simulator/faults", async (c) => {
      const body = (await c.req.json().catch(() => ({}))) as { mode?: unknown; count?: unknown };
      const mode = FAULT_MODES.find((known) => known === body.mode);
      const count = body.count ?? 1;
      if (!mode || typeof count !== "number" || !Number.isInteger(count) || count < 1)
        return c.json(
          { error: `mode must be one of ${FAULT_MODES.join(", ")}; count a whole number >= 1` },
          400,
        );
      this.fault = { mode, remaining: count };
      return c.json({ ok: true });
    });
  }

  /** Goes before the API's own middleware; `outage` answers as the provider answers its own 500. */
  middleware(outage: (c: Context) => Response): MiddlewareHandler {
    return async (c, next) => {
      const fault = this.fault;
      if (!fault) return next();
      fault.remaining--;
      if (fault.remaining <= 0) this.fault = undefined;
      if (fault.mode === "hang-after") {
        await next();
        await Bun.sleep(HANG_MS);
        return;
      }
      if (fault.mode === "hang") await Bun.sleep(HANG_MS);
      return outage(c);
    };
  }
}
