import { Hono } from "hono";
import type { Store } from "../../db/store.ts";

/** A database that hangs is as unready as one that refuses. */
const PING_TIMEOUT_MS = 2000;

export function healthRoutes(store: Store) {
  return new Hono()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      try {
        await Promise.race([
          store.ping(),
          new Promise((_, reject) => setTimeout(() => reject(new Error("ping timed out")), PING_TIMEOUT_MS)),
        ]);
        return c.json({ status: "ready", database: "ok" });
      } catch {
        return c.json({ status: "not ready", database: "unreachable" }, 503);
      }
    });
}
