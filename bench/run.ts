import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createPool } from "mysql2/promise";
import { migrateDatabase } from "../db/migrate-store.ts";
import { startCrmStandIn } from "../dev/crm-stand-in.ts";
import { startStripeSimulator } from "../dev/stripe-simulator/server.ts";
import { TEST_LIMITS } from "../server/config.ts";
import { answersOk, freePort, waitFor } from "../tests/waiting.ts";
import { type Load, runAutocannon } from "./autocannon.ts";
import { type Collections, GcLog } from "./gc-log.ts";
import { parseBenchOptions, UsageError } from "./options.ts";
import { formatProfileSummary, summarizeProfile } from "./profile-summary.ts";
import { rebuildReportRollups, reportChecks, reportPaths } from "./report-checks.ts";
import { checkSameAnswers } from "./same-answers.ts";
import {
  benchProducts,
  recreateDatabase,
  seedAdmin,
  seedCustomers,
  seedOrders,
  seedProducts,
} from "./seed.ts";
import { benchTargets, medianRound, type Row, resultsTable, sharedCoresNote } from "./targets.ts";
import { localDatabasePid, type Usage, withUsage } from "./usage.ts";

/**
 * `bun run bench` (options: bench/options.ts): a production server (Bun, or the Node bundle of
 * `bun run build:node`) on MySQL with generated data, driven by autocannon (and a purchase loop) from other
 * processes, beside a raw Bun.serve + mysql2 baseline. `--only` runs the scenarios whose name contains TEXT;
 * `--profile` writes the server's CPU profile (Markdown) beside the results; `--gc` counts the one-worker server's
 * full and eden garbage collections in each scenario (JavaScriptCore's own log); `--heap-mib` sizes the Bun
 * server's heap as systemd does (default 192).
 */
const options = (() => {
  try {
    return parseBenchOptions(Bun.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
})();
const { quick, heapMib, size, deepPage, timing } = options;
/** Rounds of the scenarios compared across processes (the own-order read: raw baseline, one worker, two). */
const ROUNDS = 3;
const databaseUrl = process.env.BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/bench";
const ROOT = join(import.meta.dirname, "..");
const PASSWORD = "bench password";
const BENCH_WEBHOOK_SECRET = "whsec_bench_0123456789abcdefghijkl";
const BENCH_JWT_SECRET = "bench-secret-of-32-characters-or-more-0123";
const ADMIN_EMAIL = "bench-admin@example.test";

const log = (message: string) => console.log(`[bench] ${message}`);
const isSelected = (scenario: string) => options.only === undefined || scenario.includes(options.only);
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const results = join(ROOT, "bench", "results");
const databasePid = localDatabasePid(databaseUrl);

/** MariaDB's count of statements sent by clients since it started. */
async function statementsSoFar(): Promise<number> {
  const [[row]] = (await pool.query("SHOW GLOBAL STATUS LIKE 'Questions'")) as unknown as [
    [{ Value: string }],
  ];
  return Number(row.Value);
}

const statementsPerPurchase = new Map<string, number>();

/** What `run` cost the machine (withUsage), and with --gc the collections the one-worker server started meanwhile. */
async function usageOf<T>(
  pid: number,
  run: () => Promise<T>,
): Promise<[T, Usage & { collections?: Collections }]> {
  if (!gcLog || pid !== server.pid) return withUsage(pid, databasePid, run);
  const before = { ...gcLog.collections };
  const [result, usage] = await withUsage(pid, databasePid, run);
  const { full, eden } = gcLog.collections;
  return [result, { ...usage, collections: { full: full - before.full, eden: eden - before.eden } }];
}

/** Measures a scenario, when this run selects it, and keeps its row. */
async function autocannon(scenario: string, pid: number, url: string, load: Load = {}): Promise<void> {
  if (isSelected(scenario)) rows.push(await drive(scenario, pid, url, load));
}

/**
 * Scenarios compared with each other across processes run in ROUNDS interleaved rounds, each round in another
 * order (raw, one, two; one, two, raw; ...), and count with their median round: on a machine that others share, one
 * slow moment then decides no comparison (the first measurements put the same build anywhere from 0.57 to 0.8 of
 * its raw baseline from one run to the next; docs/performance.md).
 */
async function interleaved(scenarios: [string, number, string][], load: Load): Promise<void> {
  const selected = scenarios.filter(([scenario]) => isSelected(scenario));
  const measured = new Map<string, Row[]>(selected.map(([scenario]) => [scenario, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let index = 0; index < selected.length; index++) {
      const [scenario, pid, url] = selected[(index + round) % selected.length] as [string, number, string];
      measured.get(scenario)?.push(await drive(scenario, pid, url, load, ` (round ${round + 1})`));
    }
  }
  for (const [scenario] of selected) rows.push(medianRound(measured.get(scenario) as Row[]));
}

/** Drives `url` with autocannon from another process, after its warm-up, and measures what it cost the machine. */
async function drive(scenario: string, pid: number, url: string, load: Load, round = ""): Promise<Row> {
  const [result, usage] = await usageOf(pid, () => runAutocannon(url, load, timing));
  const row: Row = { scenario, ...result, ...usage, unit: "req/s" };
  log(`${scenario}${round}: ${row.rps.toFixed(0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms`);
  return row;
}

const started = Date.now();
log(
  `${quick ? "quick" : "full"} run of the ${options.runtime} server${options.runtime === "bun" ? ` (heap sized for ${heapMib} MiB)` : ""} on ${availableParallelism()} cores (${cpus()[0]?.model ?? "unknown CPU"})`,
);
await recreateDatabase(databaseUrl);
await migrateDatabase(databaseUrl);
const pool = createPool({ uri: databaseUrl, connectionLimit: 4, timezone: "Z" });
const seedStarted = Date.now();
await seedProducts(pool, size.products);
const passwordHash = await Bun.password.hash(PASSWORD, {
  algorithm: "argon2id",
  memoryCost: 19456,
  timeCost: 2,
});
await seedCustomers(pool, size.customers, passwordHash);
await seedAdmin(pool, ADMIN_EMAIL, passwordHash);
await seedOrders(pool, 0, size.orders, size.customers, size.products);
await rebuildReportRollups(databaseUrl);
log(
  `seeded ${size.products} products, ${size.customers} customers, ${size.orders} orders in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`,
);

const crm = startCrmStandIn();
const simulator = startStripeSimulator({ webhookSecret: BENCH_WEBHOOK_SECRET });
const [apiPort, rawPort, twoWorkersPort] = await Promise.all([freePort(), freePort(), freePort()]);
const api = `http://127.0.0.1:${apiPort}`;
const apiOnTwoWorkers = `http://127.0.0.1:${twoWorkersPort}`;
const raw = `http://127.0.0.1:${rawPort}`;
const { checkReportIsExact, checkTimeReportsAreExact } = reportChecks({ api, pool, log });
const env = { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" };
const profilePath = join(results, `${stamp}-server-profile.md`);
const profileFlags = options.profile
  ? ["--cpu-prof-md", `--cpu-prof-dir=${results}`, `--cpu-prof-name=${stamp}-server-profile.md`]
  : [];
if (options.runtime === "node") {
  const build = Bun.spawnSync(["bun", "run", "build:node"], {
    cwd: ROOT,
    stdout: "ignore",
    stderr: "inherit",
  });
  if (build.exitCode !== 0) throw new Error("bun run build:node failed");
}
/** The profiler, when asked for, watches the one-worker server only (the two-worker one would write the same file). */
const serverCommand = (profiled: boolean) =>
  options.runtime === "node"
    ? ["node", "dist/node/main.js"]
    : ["bun", ...(profiled ? profileFlags : []), "run", "server/main.ts"];
/** With --gc, the one-worker server's collections, counted from the log JavaScriptCore writes to its stderr. */
const gcLog = options.gc ? new GcLog((line) => console.error(line)) : undefined;
/** The server under test, with `workers` processes (WORKERS) on `port`. */
const startServer = (port: number, workers: number) =>
  Bun.spawn(serverCommand(workers === 1), {
    cwd: ROOT,
    env: {
      ...env,
      NODE_ENV: "production",
      WORKERS: String(workers),
      BUN_JSC_forceRAMSize: String(heapMib * 1024 * 1024),
      PORT: String(port),
      JWT_SECRET: BENCH_JWT_SECRET,
      STRIPE_SECRET_KEY: "sk_test_bench",
      STRIPE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
      STRIPE_API_BASE: simulator.url,
      CRM_URL: crm.url,
      APP_URL: "https://shop.bench",
      TRUSTED_PROXIES: "none",
      MEDIA_DIR: join(tmpdir(), "bench-media"),
      LOGIN_MAX_FAILURES: "1000",
      // Only the one-worker server runs the background work (CRM sync, report fold): they share the database.
      CRM_WORKER: workers === 1 ? "on" : "off",
      ...(gcLog && workers === 1 && { BUN_JSC_logGC: "1" }),
      ...TEST_LIMITS,
    },
    stdout: "inherit",
    stderr: gcLog && workers === 1 ? "pipe" : "inherit",
  });
const server = startServer(apiPort, 1);
if (gcLog) void readGcLog(server.stderr as ReadableStream<Uint8Array>, gcLog);

async function readGcLog(stream: ReadableStream<Uint8Array>, into: GcLog): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read())
    into.write(decoder.decode(read.value, { stream: true }));
}
// The same server with two processes on one port, for the own-order read side by side (decision 014).
const twoWorkers = startServer(twoWorkersPort, 2);
const baseline = Bun.spawn(["bun", "run", "bench/raw-baseline.ts"], {
  cwd: ROOT,
  env: { ...env, PORT: String(rawPort), JWT_SECRET: BENCH_JWT_SECRET },
  stdout: "ignore",
  stderr: "inherit",
});
const rows: Row[] = [];

/** The four reports at the table's current size, after checking them against SQL. */
async function reportScenarios(label: string, headers: Record<string, string>): Promise<void> {
  if (!isSelected("report")) return;
  await checkTimeReportsAreExact(headers, `at ${label}`);
  const paths = reportPaths();
  await autocannon(`report summary (${label})`, server.pid, `${api}/api/v1/reports/summary/`, { headers });
  await autocannon(
    `sales report, 365 days by day (${label})`,
    server.pid,
    `${api}/api/v1/reports/sales/?${paths.year}`,
    {
      headers,
    },
  );
  await autocannon(
    `sales report, 36 months by month (${label})`,
    server.pid,
    `${api}/api/v1/reports/sales/?${paths.months}`,
    { headers },
  );
  await autocannon(
    `products report, 90 days (${label})`,
    server.pid,
    `${api}/api/v1/reports/products/?${paths.quarter}`,
    {
      headers,
    },
  );
}

try {
  await Promise.all([
    waitFor(answersOk(`${api}/readyz`), "the server"),
    waitFor(answersOk(`${apiOnTwoWorkers}/readyz`), "the server with two workers"),
    waitFor(answersOk(`${raw}/api/v1/products/?page=1&page_size=20`), "the raw baseline"),
  ]);
  const signIn = async (email: string) => {
    const response = await fetch(`${api}/api/v1/auth/login/`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    if (!response.ok) throw new Error(`login failed: ${response.status}`);
    return ((await response.json()) as { token: string }).token;
  };
  const login = (index: number) => signIn(`bench-${index}@example.test`);
  const adminAuth = { Authorization: `Bearer ${await signIn(ADMIN_EMAIL)}` };
  const token = await login(1);
  const auth = { Authorization: `Bearer ${token}` };
  const [[ownOrder]] = (await pool.query(
    "SELECT id FROM orders WHERE user_id = (SELECT id FROM users WHERE email = 'bench-1@example.test') ORDER BY id DESC LIMIT 1",
  )) as unknown as [[{ id: number }]];
  const [[product]] = (await pool.query("SELECT MIN(id) AS id FROM products")) as unknown as [
    [{ id: number }],
  ];

  await checkSameAnswers(api, raw, `/api/v1/orders/${ownOrder.id}/`, auth);
  await checkSameAnswers(api, raw, "/api/v1/products/?page=1&page_size=20");
  // First, so that one worker and two are compared as they start: after the products pages the one-worker
  // server's heap is in another state (docs/performance.md, "The own-order read and the heap").
  const ownOrderScenarios: [string, number, string][] = [
    ["raw baseline: GET own order", baseline.pid, `${raw}/api/v1/orders/${ownOrder.id}/`],
    ["GET own order", server.pid, `${api}/api/v1/orders/${ownOrder.id}/`],
    ["GET own order, WORKERS=2", twoWorkers.pid, `${apiOnTwoWorkers}/api/v1/orders/${ownOrder.id}/`],
  ];
  await interleaved(ownOrderScenarios, { headers: auth });
  await autocannon(
    "raw baseline: products page 1",
    baseline.pid,
    `${raw}/api/v1/products/?page=1&page_size=20`,
  );
  await autocannon("products page 1", server.pid, `${api}/api/v1/products/?page=1&page_size=20`);
  await autocannon(
    `products page ${deepPage}`,
    server.pid,
    `${api}/api/v1/products/?page=${deepPage}&page_size=20`,
  );
  await autocannon("POST /orders", server.pid, `${api}/api/v1/orders/`, {
    method: "POST",
    body: JSON.stringify({ product_id: product.id, quantity: 1 }),
    headers: { ...auth, "Content-Type": "application/json" },
  });
  const [[{ total }]] = (await pool.query("SELECT COUNT(*) AS total FROM orders")) as unknown as [
    [{ total: number }],
  ];
  await reportScenarios(`${Number(total).toLocaleString("en")} orders`, adminAuth);

  // The same purchase of a product of unlimited stock, of one with stock (held, then sold: its row is locked and
  // written twice), and of a basket of three lines, two of them stocked.
  const stocked = await benchProducts(pool, 3);
  const purchases: [string, { product_id: number; quantity: number }[]][] = [
    ["whole purchase", [{ product_id: product.id, quantity: 1 }]],
    ["whole purchase, stocked product", [{ product_id: stocked[0] as number, quantity: 1 }]],
    [
      "basket purchase, 3 lines",
      [
        { product_id: product.id, quantity: 2 },
        { product_id: stocked[1] as number, quantity: 1 },
        { product_id: stocked[2] as number, quantity: 3 },
      ],
    ],
  ];
  const tokens = await Promise.all(Array.from({ length: quick ? 8 : 16 }, (_, index) => login(index + 2)));
  for (const [scenario, items] of purchases) {
    if (!isSelected(scenario)) continue;
    const questionsBefore = await statementsSoFar();
    const [purchase, usage] = await usageOf(server.pid, async () => {
      const child = Bun.spawn(
        [
          "bun",
          "run",
          "bench/purchase-load.ts",
          api,
          simulator.url,
          JSON.stringify(tokens),
          JSON.stringify(items),
          String(timing.seconds),
          String(timing.warmup),
        ],
        { cwd: ROOT, stdout: "pipe", stderr: "inherit" },
      );
      const text = await new Response(child.stdout).text();
      await child.exited;
      return JSON.parse(text.trim().split("\n").at(-1) as string);
    });
    rows.push({
      scenario,
      rps: purchase.rps,
      p50: purchase.p50,
      p99: purchase.p99,
      errors: purchase.errors,
      non2xx: purchase.non2xx,
      ...usage,
      unit: "purchases/s",
    });
    // Questions counts the statements clients send, transactions' BEGIN and COMMIT included; the two reads of it
    // are the bench's.
    const statements = ((await statementsSoFar()) - questionsBefore - 2) / purchase.completed;
    statementsPerPurchase.set(scenario, statements);
    log(
      `${scenario}: ${purchase.rps.toFixed(1)} purchases/s, p50 ${purchase.p50.toFixed(1)} ms, ${statements.toFixed(2)} app statements a purchase`,
    );
    await checkReportIsExact(adminAuth, `right after the ${scenario}`);
  }

  if (size.bigOrders !== undefined && isSelected("report")) {
    const growStarted = Date.now();
    const [[{ current }]] = (await pool.query("SELECT COUNT(*) AS current FROM orders")) as unknown as [
      [{ current: number }],
    ];
    await seedOrders(pool, Number(current), size.bigOrders, size.customers, size.products);
    await rebuildReportRollups(databaseUrl);
    log(
      `grew the orders table to ${size.bigOrders} rows in ${((Date.now() - growStarted) / 1000).toFixed(1)} s`,
    );
    const summary = await checkReportIsExact(adminAuth, "after the growth");
    await reportScenarios(`${summary.total_orders.toLocaleString("en")} orders`, adminAuth);
  }
} finally {
  server.kill("SIGTERM");
  twoWorkers.kill("SIGTERM");
  baseline.kill("SIGTERM");
  await Promise.all([server.exited, twoWorkers.exited, baseline.exited]);
  await simulator.stop();
  await crm.stop();
  await pool.end();
}

const targets = benchTargets({
  rows,
  statementsPerPurchase,
  deepPage,
  cores: availableParallelism(),
  profiled: options.profile,
});
const coresNote = sharedCoresNote(rows, availableParallelism());
const table = `${resultsTable(rows, targets, gcLog !== undefined)}${coresNote ? `\n\n${coresNote}` : ""}`;
console.log(`\n${table}\n`);
mkdirSync(results, { recursive: true });
const profile = options.profile
  ? `\n## Server CPU profile\n\n${formatProfileSummary(summarizeProfile(readFileSync(profilePath, "utf8"), ROOT))}\n\nThe whole profile: ${profilePath}\n`
  : "";
if (profile) console.log(profile);
const meta = {
  cores: availableParallelism(),
  cpu: cpus()[0]?.model,
  quick,
  heapMib: options.runtime === "bun" ? heapMib : undefined,
  size,
  timing,
  rounds: ROUNDS,
  seconds: (Date.now() - started) / 1000,
};
writeFileSync(
  join(results, `${stamp}.json`),
  JSON.stringify({ ...meta, rows, targets: Object.fromEntries(targets) }, null, 2),
);
writeFileSync(
  join(results, `${stamp}.md`),
  `# Benchmark ${stamp}\n\n${meta.cores} cores (${meta.cpu}); ${quick ? "quick" : "full"} run of the ${options.runtime} server${meta.heapMib ? ` (heap sized for ${meta.heapMib} MiB)` : ""}; ${size.products} products, ${size.customers} customers, ${size.orders} orders${size.bigOrders ? ` grown to ${size.bigOrders}` : ""}; ${timing.connections} connections, ${timing.seconds} s per scenario after ${timing.warmup} s warm-up; the own-order read's three scenarios in ${ROUNDS} interleaved rounds, each counted by its median round.\n\n${table}\n${profile}`,
);
log(`results in bench/results/${stamp}.{json,md}; took ${meta.seconds.toFixed(0)} s`);

// A full run fails on any missed target. The --quick smoke (CI, on a machine busy with other work) fails only
// on errors: its numbers are too short and too noisy to judge the targets by.
const judged = quick ? targets.filter(([name]) => name === "no errors and no non-2xx") : targets;
const missed = judged.filter(([, ok]) => ok === false).map(([name]) => name);
if (missed.length > 0) {
  console.error(`benchmark FAILED: ${missed.join("; ")}`);
  process.exit(1);
}
