import { parseArgs } from "node:util";
import type { DrizzleStore } from "../db/drizzle-store.ts";
import { migrateDatabase } from "../db/migrate-store.ts";
import { openStore } from "../db/open-store.ts";
import { galeraSkipReason, startGaleraCluster } from "../tests/galera.ts";
import { rawSql } from "../tests/support.ts";

/**
 * `bun run bench:cluster [--seconds N]`: purchases a second (an order and its payment, the two transactions a
 * purchase makes, store calls without HTTP) from 32 concurrent buyers in two processes' worth of pools, side by side
 * on a single MariaDB (BENCH_MYSQL_URL), on a 3-node Galera cluster written through one node, and on the same
 * cluster written through two nodes; with each run's transactions run again and Galera's certification failures
 * (`wsrep_local_cert_failures`). Needs root, galera-4 and rsync (docs/scaling.md).
 */
const { values: args } = parseArgs({ options: { seconds: { type: "string", default: "10" } } });
const SECONDS = Number(args.seconds);
const BUYERS_PER_POOL = 16;
const singleUrl = process.env.BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/bench";

interface Measured {
  setup: string;
  purchases: number;
  perSecond: number;
  runAgain: number;
  certFailures: number | undefined;
  failed: number;
}

/** 2 × 16 buyers, one pool each half, buying the same unlimited product for SECONDS. */
async function buy(
  setup: string,
  stores: [DrizzleStore, DrizzleStore],
  certFailures?: () => Promise<number>,
) {
  const [first] = stores;
  const customer = await first.createUser({
    email: `bench-cluster-${crypto.randomUUID()}@example.test`,
    name: "",
    passwordHash: "not used",
    role: "customer",
  });
  const product = await first.createProduct({
    name: `Bench cluster ${crypto.randomUUID()}`,
    description: "",
    priceMinor: 500,
    currency: "usd",
  });
  const certBefore = await certFailures?.();
  const runAgainBefore = stores.map((store) => store.poolStats()?.deadlocksRetried ?? 0);
  let purchases = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(
    stores.flatMap((store) =>
      Array.from({ length: BUYERS_PER_POOL }, async () => {
        while (Date.now() < deadline) {
          try {
            const order = await store.createOrder({
              userId: customer.id,
              currency: "usd",
              lines: [{ productId: product.id, quantity: 1, unitPriceMinor: 500, limitedStock: false }],
            });
            await store.markOrderPaid(order.id, {
              sessionId: `cs_bench_${order.id}`,
              paymentIntentId: `pi_bench_${order.id}`,
              paidAt: new Date(),
            });
            purchases++;
          } catch {
            failed++;
          }
        }
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const runAgain = stores.reduce(
    (sum, store, index) => sum + (store.poolStats()?.deadlocksRetried ?? 0) - (runAgainBefore[index] ?? 0),
    0,
  );
  const certAfter = await certFailures?.();
  const measured: Measured = {
    setup,
    purchases,
    perSecond: purchases / seconds,
    runAgain,
    certFailures: certBefore === undefined || certAfter === undefined ? undefined : certAfter - certBefore,
    failed,
  };
  console.log(
    `[bench:cluster] ${setup}: ${measured.perSecond.toFixed(0)} purchases/s, ${runAgain} transactions run again, ${measured.certFailures ?? "-"} certification failures, ${failed} failed`,
  );
  return measured;
}

const skipReason = galeraSkipReason();
if (skipReason) {
  console.error(`bench:cluster cannot run here: ${skipReason}`);
  process.exit(1);
}
const rows: Measured[] = [];

await migrateDatabase(singleUrl);
const single = [
  await openStore(singleUrl, { poolSize: 16 }),
  await openStore(singleUrl, { poolSize: 16 }),
] as [DrizzleStore, DrizzleStore];
rows.push(await buy("single MariaDB", single));
await Promise.all(single.map((store) => store.close()));

const galera = await startGaleraCluster(3);
try {
  const server = await rawSql(galera.nodes[0]?.serverUrl as string);
  await server.all("CREATE DATABASE orders");
  await server.close();
  const nodeUrl = (index: number) => `${galera.nodes[index]?.serverUrl}/orders`;
  await migrateDatabase(nodeUrl(0));
  const certFailures = async () => {
    let sum = 0;
    for (const node of galera.nodes) {
      const sql = await rawSql(node.serverUrl);
      const [row] = await sql.all<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'wsrep_local_cert_failures'");
      await sql.close();
      sum += Number(row?.Value ?? 0);
    }
    return sum;
  };
  for (const [setup, nodes] of [
    ["Galera, one writing node", [0, 0]],
    ["Galera, two writing nodes", [0, 1]],
  ] as const) {
    const stores = [
      await openStore(nodeUrl(nodes[0]), { poolSize: 16 }),
      await openStore(nodeUrl(nodes[1]), { poolSize: 16 }),
    ] as [DrizzleStore, DrizzleStore];
    rows.push(await buy(setup, stores, certFailures));
    await Promise.all(stores.map((store) => store.close()));
  }
} finally {
  await galera.stop();
}

console.log("\n| setup | purchases/s | transactions run again | certification failures | failed |");
console.log("| --- | --- | --- | --- | --- |");
for (const row of rows)
  console.log(
    `| ${row.setup} | ${row.perSecond.toFixed(0)} | ${row.runAgain} | ${row.certFailures ?? "-"} | ${row.failed} |`,
  );
