import { type Context, Hono } from "hono";
import type { Store } from "../../db/store.ts";
import { logDatabaseUnavailable } from "../shared/failures.ts";
import { checkDatabase } from "./database.ts";

/**
 * `/readyz` tells the public (nginx serves it) only whether the shop can serve; why not, in the database's own
 * words, goes to the log and to whoever may read the metrics (`mayReadDetail`: loopback, or the metrics token).
 */
export function healthRoutes(store: Store, mayReadDetail: (c: Context) => boolean) {
  return new Hono()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      const state = await checkDatabase(store);
      if (state.ready) return c.json({ status: "ready", database: "ok" });
      logDatabaseUnavailable(c.get("log"), state.error ?? state.detail);
      if (!mayReadDetail(c)) return c.json({ status: "unavailable" }, 503);
      return c.json({ status: "not ready", database: state.cause, detail: state.detail }, 503);
    });
}
