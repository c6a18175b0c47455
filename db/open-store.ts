import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type Column, getTableColumns, type SQL, sql } from "drizzle-orm";
import type { MySqlTable } from "drizzle-orm/mysql-core";
import { drizzle as drizzleMysql } from "drizzle-orm/mysql2";
import { createPool, type ExecuteValues, type Pool, type QueryOptions } from "mysql2/promise";
import { mysqlHostUrls } from "./database-hosts.ts";
import { DeadlinePool } from "./deadline-pool.ts";
import { type Db, type DialectAdapter, DrizzleStore, type Tables } from "./drizzle-store.ts";
import { errorCode } from "./error-code.ts";
import { FailoverPool } from "./failover-pool.ts";
import * as mysqlSchema from "./schema.mysql.ts";
import * as sqliteSchema from "./schema.sqlite.ts";

export interface OpenStoreOptions {
  poolSize?: number;
  /** MySQL: the longest wait for a connection, a connect, or one statement's answer (default 5000). */
  timeoutMs?: number;
  /** Sees every SQL statement the store runs (tests count queries with it). */
  logQuery?: (sql: string) => void;
  /** Where a move from one database node to another is said (several hosts in DATABASE_URL). */
  log?: (fields: Record<string, unknown>) => void;
}

/**
 * Opens the store named by DATABASE_URL: mysql://user:pass@host:port/db (or host1:port,host2:port,... for the nodes
 * of a cluster, used one at a time: db/failover-pool.ts) or file:PATH (SQLite).
 */
export async function openStore(databaseUrl: string, options: OpenStoreOptions = {}): Promise<DrizzleStore> {
  if (databaseUrl.startsWith("mysql://")) return new DrizzleStore(mysqlAdapter(databaseUrl, options));
  if (databaseUrl.startsWith("file:"))
    return new DrizzleStore(await sqliteAdapter(databaseUrl.slice(5), options));
  throw new Error("DATABASE_URL must start with mysql:// or file:");
}

export function mysqlAdapter(databaseUrl: string, options: OpenStoreOptions = {}): DialectAdapter {
  const timeoutMs = options.timeoutMs ?? 5000;
  const limit = options.poolSize ?? 10;
  const nodePool = (hostUrl: string) => {
    const connections = createPool({
      uri: hostUrl,
      connectionLimit: limit,
      timezone: "Z",
      dateStrings: false,
      connectTimeout: timeoutMs,
      enableKeepAlive: true,
      // No stack captured at every statement for the rare one that fails (a tenth of a GET's CPU,
      // docs/performance.md); a failed statement's error still says its code and message.
      trace: false,
    });
    // Sent before the new connection's first statement, once per connection, not once per transaction.
    // READ COMMITTED for every statement and transaction (decision 012): under InnoDB's REPEATABLE READ, orders
    // whose status changes at once deadlocked on the gap locks of their secondary indexes. On a Galera node, a
    // read waits until the node has applied every write the cluster committed before it, so a customer who
    // wrote through another node reads what they wrote (decision 016; a server without Galera ignores it).
    connections.pool.on("connection", (connection) => {
      connection.query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", () => undefined);
      connection.query("SET SESSION wsrep_sync_wait = 1", () => undefined);
    });
    return connections;
  };
  const pool = new DeadlinePool(
    new FailoverPool(mysqlHostUrls(databaseUrl), nodePool, { log: options.log }),
    timeoutMs,
    limit,
  );
  const db = drizzleMysql(pool as unknown as Pool, { logger: queryLogger(options) });
  // Drizzle sends every statement through `query`; this one sends them to the pool's `execute` (prepared).
  const preparedDb = drizzleMysql(
    {
      query: (statement: QueryOptions, values?: ExecuteValues) => pool.execute(statement, values),
    } as unknown as Pool,
    { logger: queryLogger(options) },
  );
  // A Drizzle per transaction connection, made at its first transaction: making one costs more than a statement.
  const onConnection = new WeakMap<object, Db>();
  const drizzleOn = (client: object): Db => {
    let made = onConnection.get(client);
    if (!made) {
      made = drizzleMysql(client as unknown as Pool, { logger: queryLogger(options) }) as unknown as Db;
      onConnection.set(client, made);
    }
    return made;
  };
  return {
    dialect: "mysql",
    poolStats: () => ({
      inUse: pool.inUse,
      waiting: pool.waiting,
      limit: pool.limit,
      deadlocksRetried: pool.deadlocksRetried,
    }),
    db: db as unknown as Db,
    preparedDb: preparedDb as unknown as Db,
    async rows<T>(query: SQL, on?: Db) {
      const [rows] = (await ((on as typeof db | undefined) ?? db).execute(query)) as unknown as [T[]];
      return rows;
    },
    run: (on, query) => on.execute(query),
    transaction: (run) => pool.transaction((client) => run(drizzleOn(client))),
    exclusive: (run) => run(),
    forUpdate: (query) => (query as unknown as { for(strength: "update"): typeof query }).for("update"),
    upsertAdding: (table, keys, adds, rows) => upsertAdding("mysql", table, keys, adds, rows),
    slotOf: (column) => sql`(timestampdiff(second, '1970-01-01 00:00:00', ${column}) div 900)`,
    tables: mysqlSchema,
    readWrite(raw) {
      const [header] = raw as [{ affectedRows: number; insertId: number }];
      return { affectedRows: header.affectedRows, insertId: Number(header.insertId) };
    },
    isUniqueViolation: (error) => errorCode(error) === "ER_DUP_ENTRY",
    isForeignKeyViolation: (error) => errorCode(error) === "ER_ROW_IS_REFERENCED_2",
    async ping() {
      await pool.query("SELECT 1");
    },
    async latestMigration() {
      try {
        const [rows] = (await pool.query(
          "SELECT MAX(created_at) AS latest FROM __drizzle_migrations",
        )) as unknown as [{ latest: number | string | null }[]];
        return rows[0]?.latest == null ? undefined : Number(rows[0].latest);
      } catch (error) {
        if (errorCode(error) === "ER_NO_SUCH_TABLE") return undefined;
        throw error;
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/** bun:sqlite is loaded lazily so that the Node entry point, which only speaks MySQL, never touches it. */
export async function sqliteAdapter(path: string, options: OpenStoreOptions = {}): Promise<DialectAdapter> {
  const { Database } = await import("bun:sqlite");
  const { drizzle } = await import("drizzle-orm/bun-sqlite");
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path, { create: true, strict: true });
  const db = drizzle(sqlite, { logger: queryLogger(options) });
  sqlite.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;");
  const turns = new Turns();
  return {
    dialect: "sqlite",
    poolStats: () => undefined,
    db: db as unknown as Db,
    preparedDb: db as unknown as Db,
    rows: async <T>(query: SQL, on?: Db) => ((on as unknown as typeof db | undefined) ?? db).all<T>(query),
    run: async (on, query) => (on as unknown as typeof db).run(query),
    // The one connection is shared by every request of this process: a transaction takes it for its whole
    // length, and a write outside any transaction waits for its turn too, or it would join the transaction.
    transaction: (run) =>
      turns.take(async () => {
        sqlite.exec("BEGIN IMMEDIATE");
        try {
          const result = await run(db as unknown as Db);
          sqlite.exec("COMMIT");
          return result;
        } catch (error) {
          if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
          throw error;
        }
      }),
    exclusive: (run) => turns.take(run),
    forUpdate: (query) => query,
    upsertAdding: (table, keys, adds, rows) => upsertAdding("sqlite", table, keys, adds, rows),
    slotOf: (column) => sql`(${column} / 900000)`,
    tables: sqliteSchema as unknown as Tables,
    readWrite(raw) {
      const result = raw as { changes: number; lastInsertRowid: number | bigint };
      return { affectedRows: result.changes, insertId: Number(result.lastInsertRowid) };
    },
    isUniqueViolation: (error) =>
      ["SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"].includes(errorCode(error) ?? ""),
    isForeignKeyViolation: (error) => errorCode(error) === "SQLITE_CONSTRAINT_FOREIGNKEY",
    async ping() {
      sqlite.query("SELECT 1").get();
    },
    async latestMigration() {
      const table = sqlite
        .query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'")
        .get();
      if (!table) return undefined;
      const row = sqlite.query("SELECT MAX(created_at) AS latest FROM __drizzle_migrations").get() as {
        latest: number | null;
      };
      return row.latest ?? undefined;
    },
    async close() {
      sqlite.close();
    },
  };
}

/**
 * `INSERT` of the rows that adds their `adds` to the row already there with the same `keys` (both the table's
 * property names, as the rows are keyed): the one statement the dialects spell differently for the rollups.
 */
function upsertAdding(
  dialect: DialectAdapter["dialect"],
  table: MySqlTable,
  keys: string[],
  adds: string[],
  rows: object[],
): SQL {
  const columns = getTableColumns(table) as Record<string, Column>;
  const name = (key: string) => sql.identifier((columns[key] as Column).name);
  const list = (keys: string[]) => sql.join(keys.map(name), sql`, `);
  const all = [...keys, ...adds];
  const tuples = rows.map(
    (row) =>
      sql`(${sql.join(
        all.map((key) => sql`${(row as Record<string, unknown>)[key]}`),
        sql`, `,
      )})`,
  );
  const incoming = (key: string) =>
    dialect === "mysql" ? sql`values(${name(key)})` : sql`excluded.${name(key)}`;
  const set = sql.join(
    adds.map((key) => sql`${name(key)} = ${name(key)} + ${incoming(key)}`),
    sql`, `,
  );
  const insert = sql`insert into ${table} (${list(all)}) values ${sql.join(tuples, sql`, `)}`;
  return dialect === "mysql"
    ? sql`${insert} on duplicate key update ${set}`
    : sql`${insert} on conflict (${list(keys)}) do update set ${set}`;
}

/** Runs one task at a time, in the order they were given. */
class Turns {
  private last: Promise<unknown> = Promise.resolve();

  take<T>(task: () => Promise<T>): Promise<T> {
    const result = this.last.then(task);
    this.last = result.catch(() => undefined);
    return result;
  }
}

function queryLogger(options: OpenStoreOptions) {
  const { logQuery } = options;
  return logQuery ? { logQuery: (sql: string) => logQuery(sql) } : false;
}
