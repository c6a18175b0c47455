import { fileURLToPath } from "node:url";
import { getConnInfo } from "hono/bun";
import { openStore } from "../db/open-store.ts";
import { createApp } from "./app.ts";
import type { Config } from "./config.ts";
import { CrmSync } from "./crm/sync.ts";
import { bunPasswordHasher } from "./runtime/passwords.ts";

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 10_000;

/** Starts the API on Bun and returns a handle whose stop() drains requests, then closes the database. */
export async function startBunServer(config: Config): Promise<RunningServer> {
  const store = await openStore(config.DATABASE_URL, { timeoutMs: config.DB_TIMEOUT_MS });
  const log = (fields: Record<string, unknown>) =>
    config.LOG_LEVEL !== "silent" &&
    console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
  const crm = new CrmSync(config, store, log);
  const app = createApp({
    config,
    store,
    crm,
    passwords: bunPasswordHasher,
    remoteAddress: (c) => getConnInfo(c).remote.address,
    uiDir: fileURLToPath(new URL("../ui/dist", import.meta.url)),
  });
  if (config.CRM_WORKER === "on") crm.start();
  const server = Bun.serve({ port: config.PORT, hostname: config.HOST, fetch: app.fetch });
  let stopping: Promise<void> | undefined;
  return {
    url: server.url.toString().replace(/\/$/, ""),
    stop() {
      stopping ??= (async () => {
        const drained = server.stop(false);
        const timedOut = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
        await Promise.race([drained, timedOut]);
        server.stop(true);
        await crm.stop();
        await store.close();
      })();
      return stopping;
    },
  };
}

/** SIGTERM (systemd) and SIGINT (Ctrl-C) stop accepting, finish what is in flight, and exit. */
export function stopOnSignals(running: RunningServer, log: (line: string) => void = console.log): void {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, async () => {
      log(JSON.stringify({ time: new Date().toISOString(), level: "info", msg: `${signal}: shutting down` }));
      await running.stop();
      process.exit(0);
    });
  }
}
