import { expect, test } from "bun:test";
import { join } from "node:path";
import { freshTempDir, mysqlTarget, rawSql } from "../tests/support.ts";
import { migrateDatabase } from "./migrate-store.ts";
import { openStore } from "./open-store.ts";

const mysql = mysqlTarget();
const DUMP = Bun.which("mariadb-dump") ?? Bun.which("mysqldump");
const CLIENT = Bun.which("mariadb") ?? Bun.which("mysql");
if ((!DUMP || !CLIENT) && process.env.CI === "true") {
  throw new Error("CI=true but mariadb-dump or the mariadb client is missing");
}

/** The connection options of the backup commands in docs/production.md, for a database on the test's server. */
function clientArgs(url: URL, database: string): string[] {
  return [
    `--host=${url.hostname}`,
    `--port=${url.port || "3306"}`,
    `--user=${decodeURIComponent(url.username)}`,
    ...(url.password ? [`--password=${decodeURIComponent(url.password)}`] : []),
    database,
  ];
}

mysql.describe.skipIf(!DUMP || !CLIENT)("backup and restore with mariadb-dump", () => {
  test("a dump of a database with orders restores into a fresh one with the same orders, the same reports (deltas not yet folded included), and the rules carry on", async () => {
    const server = new URL(mysql.url());
    const suffix = crypto.randomUUID().slice(0, 8);
    const [source, copy] = [`backup_source_${suffix}`, `backup_copy_${suffix}`];
    const admin = await rawSql(mysql.url());
    const urlOf = (database: string) => {
      const url = new URL(server);
      url.pathname = `/${database}`;
      return url.toString();
    };
    const dumpFile = join(freshTempDir(), "orders.sql.gz");
    try {
      await admin.all(`CREATE DATABASE ${source}`);
      await admin.all(`CREATE DATABASE ${copy}`);
      await migrateDatabase(urlOf(source));
      const sourceStore = await openStore(urlOf(source));
      const customer = await sourceStore.createUser({
        email: `backup-${suffix}@example.test`,
        name: "Backup",
        passwordHash: "not used",
        role: "customer",
      });
      for (let index = 0; index < 3; index++) {
        const product = await sourceStore.createProduct({
          name: `Backup product ${index}`,
          description: "",
          priceMinor: 1000 + index,
          currency: "usd",
        });
        const order = await sourceStore.createOrder({
          userId: customer.id,
          currency: "usd",
          lines: [{ productId: product.id, quantity: index + 1, unitPriceMinor: product.priceMinor }],
        });
        if (index > 0) {
          await sourceStore.markOrderPaid(order.id, {
            sessionId: `cs_test_backup_${suffix}_${index}`,
            paymentIntentId: null,
            paidAt: new Date(),
          });
        }
      }

      const dump = Bun.spawnSync(
        [
          "sh",
          "-c",
          `"$0" --single-transaction --hex-blob --default-character-set=utf8mb4 "$@" | gzip > "${dumpFile}"`,
          DUMP as string,
          ...clientArgs(server, source),
        ],
        { stderr: "pipe" },
      );
      expect({ exitCode: dump.exitCode, stderr: dump.stderr.toString() }).toEqual({
        exitCode: 0,
        stderr: "",
      });
      const restore = Bun.spawnSync(
        ["sh", "-c", `gunzip -c "${dumpFile}" | "$0" "$@"`, CLIENT as string, ...clientArgs(server, copy)],
        { stderr: "pipe" },
      );
      expect({ exitCode: restore.exitCode, stderr: restore.stderr.toString() }).toEqual({
        exitCode: 0,
        stderr: "",
      });

      const copyStore = await openStore(urlOf(copy));
      const rows = async (database: string) => {
        const sql = await rawSql(urlOf(database));
        const result = {
          orders: await sql.all("SELECT * FROM orders ORDER BY id"),
          slots: await sql.all("SELECT * FROM order_slots ORDER BY slot, currency"),
        };
        await sql.close();
        return result;
      };
      expect(await rows(copy)).toEqual(await rows(source));
      expect((await rows(copy)).orders).toHaveLength(3);
      expect(await copyStore.summarizeOrders()).toEqual(await sourceStore.summarizeOrders());
      expect(await copyStore.schemaProblem()).toBeUndefined();
      // The copy's report deltas came along: a new order in the copy is counted with the others.
      const [product] = (await copyStore.listActiveProducts({ limit: 1, offset: 0 })).rows;
      await copyStore.createOrder({
        userId: customer.id,
        currency: "usd",
        lines: [{ productId: product?.id as number, quantity: 1, unitPriceMinor: 500 }],
      });
      expect((await copyStore.summarizeOrders()).totalOrders).toBe(4);
      await Promise.all([sourceStore.close(), copyStore.close()]);
    } finally {
      await admin.all(`DROP DATABASE IF EXISTS ${source}`);
      await admin.all(`DROP DATABASE IF EXISTS ${copy}`);
      await admin.close();
    }
  }, 60_000);
});
