import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { join } from "node:path";
import { openStore } from "../../db/open-store.ts";
import { freshTempDir } from "../../tests/support.ts";
import { freePort } from "../../tests/waiting.ts";
import { testConfig } from "../config.ts";
import { CrmSync } from "../crm/sync.ts";
import { HoldReleaser } from "../orders/hold-release.ts";
import { ReportFolder } from "../reports/worker.ts";

/** The background passes a server runs, every 20 ms (the CRM pass every 50 ms), logging into `lines`, until `stop`. */
function runBackground(store: Awaited<ReturnType<typeof openStore>>, lines: Record<string, unknown>[]) {
  const log = (fields: Record<string, unknown>) => lines.push(fields);
  const crm = new CrmSync(testConfig({ CRM_POLL_INTERVAL_MS: "50" }), store, log);
  const reports = new ReportFolder(store, log, 20);
  const holds = new HoldReleaser(store, { CHECKOUT_SESSION_TTL_MINUTES: 60 }, log, 20);
  crm.start();
  reports.start();
  holds.start();
  return () => Promise.all([crm.stop(), reports.stop(), holds.stop()]);
}

test("background passes log a database that refuses connections once, by the driver's code, never the SQL", async () => {
  const store = await openStore(`mysql://root@127.0.0.1:${await freePort()}/shop`, { timeoutMs: 500 });
  const lines: Record<string, unknown>[] = [];
  const stop = runBackground(store, lines);
  await Bun.sleep(600);
  await stop();
  await store.close();
  expect(lines.length).toBe(1);
  expect(lines[0]).toMatchObject({ level: "error", msg: "database unavailable" });
  expect(String(lines[0]?.error)).toMatch(/^ECONNREFUSED: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
});

test("any other failure of a pass is a line of its own with the driver's code and words, not the query", async () => {
  const file = join(freshTempDir(), "not-migrated.db");
  new Database(file).close();
  const store = await openStore(`file:${file}`);
  const lines: Record<string, unknown>[] = [];
  const stop = runBackground(store, lines);
  await Bun.sleep(200);
  await stop();
  await store.close();
  const failed = lines.filter((line) => line.level === "error");
  expect(new Set(failed.map((line) => line.msg))).toEqual(
    new Set(["crm pass failed", "report fold failed", "stock release failed"]),
  );
  for (const line of failed) {
    expect(String(line.error)).toMatch(/^SQLITE_ERROR: no such table: \w+$/);
    expect(JSON.stringify(line)).not.toMatch(/select|update|Failed query/i);
  }
});
