import { Hono } from "hono";
import type { Store } from "../../db/store.ts";

export function healthRoutes(store: Store) {
  return new Hono()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      try {
        await store.ping();
        return c.json({ status: "ready", database: "ok" });
      } catch {
        return c.json({ status: "not ready", database: "unreachable" }, 503);
      }
    });
}
