import { openStore } from "../../db/open-store.ts";
import { loadConfigOrExit } from "../config.ts";
import { jsonLog, sinkFor } from "../http/logger.ts";

/**
 * `bun run reports:rebuild`: makes every derived figure (the orders' refund sums and status, the report rollups)
 * again from the orders and refunds, after a change made by hand in SQL that no rule of the store saw. One
 * transaction that holds the report tables' locks while it runs: at a quiet time.
 */
const config = loadConfigOrExit();
const store = await openStore(config.DATABASE_URL, { timeoutMs: 600_000 });
const log = jsonLog(sinkFor(config));
try {
  const started = Date.now();
  await store.rebuildReportRollups();
  log({ level: "info", msg: "report rollups rebuilt", ms: Date.now() - started });
} finally {
  await store.close();
}
