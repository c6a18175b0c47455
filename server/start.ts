import type { DrizzleStore } from "../db/drizzle-store.ts";
import { openStore } from "../db/open-store.ts";
import { type App, createApp } from "./app.ts";
import type { Config } from "./config.ts";
import { CrmSync } from "./crm/sync.ts";
import { checkDatabaseAtStart } from "./health/database.ts";
import type { RemoteAddress } from "./http/client-ip.ts";
import { jsonLog, type Log, sinkFor } from "./http/logger.ts";
import type { SiteFiles } from "./http/static-ui.ts";
import { Metrics } from "./metrics/metrics.ts";
import { HoldReleaser } from "./orders/hold-release.ts";
import { createRazorpayClient } from "./payments/razorpay-client.ts";
import { createStripeClient } from "./payments/stripe-client.ts";
import { RefundReconciler } from "./refunds/worker.ts";
import { ReportFolder } from "./reports/worker.ts";
import type { PasswordHasher } from "./runtime/passwords.ts";

/** What differs between the Bun and the Node entry points. */
export interface Runtime {
  passwords: PasswordHasher;
  remoteAddress: RemoteAddress;
  site: SiteFiles;
}

export interface Started {
  app: App;
  store: DrizzleStore;
  crm: CrmSync;
  log: Log;
  /** After the listener has drained: stops the background workers and closes the database. */
  close(): Promise<void>;
}

/** How long a stopping server lets requests in flight finish before it closes their connections. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * The start-up both entry points share: database (refused when it can never serve), app, and the background work
 * (CRM sync, refund reconciliation, report fold, stock release) when `background`: one worker per machine runs it.
 */
export async function startApp(config: Config, runtime: Runtime, background = true): Promise<Started> {
  const log = jsonLog(sinkFor(config));
  const store = await openStore(config.DATABASE_URL, { timeoutMs: config.DB_TIMEOUT_MS, log });
  // A database the server cannot use is said on standard error whatever LOG_LEVEL is.
  await checkDatabaseAtStart(
    store,
    jsonLog((line) => console.error(line)),
  );
  const metrics = Metrics.for(store);
  const crm = new CrmSync(config, store, metrics.tap(log));
  const stripe = createStripeClient(config);
  const razorpay = createRazorpayClient(config);
  const app = createApp({ config, store, crm, metrics, stripe, razorpay, ...runtime });
  const refunds = new RefundReconciler({ config, store, stripe, razorpay, crm, log: metrics.tap(log) });
  const reports = new ReportFolder(store, log);
  const holds = new HoldReleaser(store, config, log);
  if (config.CRM_WORKER === "on" && background) {
    log({ level: "info", msg: "background work started (CRM sync, refunds, reports, stock holds)" });
    crm.start();
    refunds.start();
    reports.start();
    holds.start();
  }
  return {
    app,
    store,
    crm,
    log,
    async close() {
      await refunds.stop();
      await reports.stop();
      await holds.stop();
      await crm.stop();
      await store.close();
    },
  };
}

/** SIGTERM (systemd) and SIGINT (Ctrl-C) stop accepting, finish what is in flight, and exit. */
export function stopOnSignals(
  stop: () => Promise<void>,
  log: Log = jsonLog((line) => console.log(line)),
): void {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, async () => {
      log({ level: "info", msg: `${signal}: shutting down` });
      await stop();
      process.exit(0);
    });
  }
}
