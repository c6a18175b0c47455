import { Hono } from "hono";
import type { Store } from "../../db/store.ts";
import { checkDatabase } from "./database.ts";

export function healthRoutes(store: Store) {
  return new Hono()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      const state = await checkDatabase(store);
      if (state.ready) return c.json({ status: "ready", database: "ok" });
      return c.json({ status: "not ready", database: state.cause, detail: state.detail }, 503);
    });
}
