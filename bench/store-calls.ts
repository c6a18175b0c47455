import { createConnection } from "mysql2/promise";
import { openStore } from "../db/open-store.ts";

/**
 * `bun run bench/store-calls.ts`: the client CPU of single store calls, made one after another in this process,
 * against the database a `bun run bench` left behind (BENCH_MYSQL_URL). It says how much of a request's CPU is
 * the database client's, which the HTTP scenarios cannot tell apart from the server's own work.
 */
const databaseUrl = process.env.BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/bench";
const CALLS = 5000;
const WARM_UP = 500;

const lookup = await createConnection(databaseUrl);
const [[order]] = (await lookup.query("SELECT id, user_id FROM orders ORDER BY id LIMIT 1")) as unknown as [
  { id: number; user_id: number }[],
];
await lookup.end();
if (!order) {
  console.error(`no orders in ${databaseUrl}: run bun run bench first`);
  process.exit(2);
}

async function measure(name: string, call: () => Promise<unknown>) {
  for (let index = 0; index < WARM_UP; index++) await call();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let index = 0; index < CALLS; index++) await call();
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - started;
  console.log(
    `${name}: ${((cpu.user + cpu.system) / CALLS).toFixed(0)} µs CPU, ${((wallMs * 1000) / CALLS).toFixed(0)} µs wall a call`,
  );
}

const store = await openStore(databaseUrl);
await measure("SELECT 1", () => store.ping());
await measure("a user by id", () => store.findUserById(order.user_id));
await measure("an order view for its customer", () => store.findOrderForUser(order.id, order.user_id));
await store.close();
