import { fileURLToPath } from "node:url";
import { serveStatic } from "hono/bun";
import { createPool } from "mysql2/promise";
import { openStore } from "../db/open-store.ts";
import { issueToken } from "../server/auth/tokens.ts";
import { testConfig } from "../server/config.ts";
import { presentOrder } from "../server/orders/presenter.ts";
import { bunPasswordHasher } from "../server/runtime/passwords.ts";
import { startApp } from "../server/start.ts";

/**
 * `bun run bench/store-calls.ts`: where a customer's GET of their own order spends its CPU, layer by layer, in
 * this process, against the database a `bun run bench` left behind (BENCH_MYSQL_URL). Each layer is called 16 at a
 * time, as under load, and its CPU divided by the calls: a bare mysql2 statement, the store's call, the answer's
 * JSON, a request through every middleware that reads no database, and the whole request through the app. The HTTP
 * scenarios cannot tell these apart, and Bun's profiler charges the waits between them to whatever ran next.
 */
const databaseUrl = process.env.BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/bench";
const CALLS = 16_000;
const AT_ONCE = 16;
const WARM_UP = 2000;

const pool = createPool({ uri: databaseUrl, connectionLimit: AT_ONCE, timezone: "Z", trace: false });
const [[order]] = (await pool.query(
  `SELECT o.id, o.user_id, u.role, u.token_version FROM orders o JOIN users u ON u.id = o.user_id
   ORDER BY o.id LIMIT 1`,
)) as unknown as [{ id: number; user_id: number; role: string; token_version: number }[]];
if (!order) {
  console.error(`no orders in ${databaseUrl}: run bun run bench first`);
  process.exit(2);
}

async function measure(name: string, call: () => Promise<unknown>) {
  for (let index = 0; index < WARM_UP; index++) await call();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      for (let index = 0; index < CALLS / AT_ONCE; index++) await call();
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  console.log(`${name}: ${((cpu.user + cpu.system) / CALLS).toFixed(0)} µs CPU a call`);
}

const config = testConfig({ DATABASE_URL: databaseUrl, CRM_WORKER: "off" });
const started = await startApp(
  config,
  {
    passwords: bunPasswordHasher,
    remoteAddress: () => "127.0.0.1",
    site: { dir: fileURLToPath(new URL("../ui/dist", import.meta.url)), serveStatic },
  },
  false,
);
const token = await issueToken(config, {
  id: order.user_id,
  role: order.role,
  tokenVersion: order.token_version,
});
const get = async (path: string, headers: Record<string, string> = {}) =>
  (await started.app.fetch(new Request(`http://localhost${path}`, { headers }))).text();
const store = await openStore(databaseUrl);
const customerOrder = await store.findCustomerOrder(order.id, order.user_id);
if (!customerOrder) throw new Error(`order ${order.id} is not its customer's`);

await measure("mysql2: SELECT 1", () => pool.execute("SELECT 1"));
await measure("store: SELECT 1", () => store.ping());
await measure("store: a user by id", () => store.findUserById(order.user_id));
await measure("store: a customer's own order", () => store.findCustomerOrder(order.id, order.user_id));
await measure("the order's JSON", async () => JSON.stringify(presentOrder(customerOrder)));
await measure("app: GET /healthz (every middleware, no database)", () => get("/healthz"));
await measure("app: GET own order, whole request", () =>
  get(`/api/v1/orders/${order.id}/`, { Authorization: `Bearer ${token}` }),
);
await started.close();
await store.close();
await pool.end();
