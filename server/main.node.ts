import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { openStore } from "../db/open-store.ts";
import { createApp } from "./app.ts";
import { loadConfigOrExit } from "./config.ts";
import { CrmSync } from "./crm/sync.ts";
import { nodePasswordHasher } from "./runtime/passwords.node.ts";

/** The same Hono app on Node 20 (MySQL only: the embedded SQLite database is Bun's). */
const config = loadConfigOrExit();
if (!config.DATABASE_URL.startsWith("mysql://")) {
  console.error("The Node entry point needs DATABASE_URL=mysql://...; SQLite runs on Bun only.");
  process.exit(1);
}
const store = await openStore(config.DATABASE_URL, { timeoutMs: config.DB_TIMEOUT_MS });
const crm = new CrmSync(config, store, (fields) =>
  console.log(JSON.stringify({ time: new Date().toISOString(), ...fields })),
);
const app = createApp({
  config,
  store,
  crm,
  passwords: nodePasswordHasher,
  remoteAddress: (c) => getConnInfo(c).remote.address,
});
if (config.CRM_WORKER === "on") crm.start();
const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  console.log(
    JSON.stringify({ level: "info", msg: `listening on http://${info.address}:${info.port} (node)` }),
  );
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.close(async () => {
      await crm.stop();
      await store.close();
      process.exit(0);
    });
  });
}
