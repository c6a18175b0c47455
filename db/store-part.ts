import type { Column, SQL } from "drizzle-orm";
import type { MySqlTable, MySqlUpdateSetSource } from "drizzle-orm/mysql-core";
import type { MySql2Database } from "drizzle-orm/mysql2";
import type * as schema from "./schema.mysql.ts";
import type { PoolStats, Store } from "./store.ts";

/**
 * The SQL is written once. Drizzle builds it from each dialect's own tables and dialect object, so the query
 * code of every part of the store runs unchanged on MySQL and SQLite; it is typed against the MySQL schema, and
 * each adapter (db/open-store.ts) supplies only what differs.
 */
export type Tables = typeof schema;

/**
 * Statements that run on nearly every request are prepared once: building them on every request took Drizzle a
 * quarter of the server's CPU in the purchase benchmark (`bun run bench --profile`). Each is prepared at its
 * first use, since SQLite prepares against the tables and the store must open on a database that is not
 * migrated yet, to say so.
 */
export function lazy<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => {
    made ??= make();
    return made;
  };
}

export type Db = MySql2Database<Record<string, never>>;

export interface WriteResult {
  affectedRows: number;
  insertId: number;
}

export interface DialectAdapter {
  dialect: Store["dialect"];
  db: Db;
  /**
   * The same database for the few fixed statements on a hot path, which MySQL prepares once per connection and
   * then runs by id (binary protocol: no SQL text to parse, about a third less client CPU; docs/performance.md).
   * Only for statements whose text never varies: each text takes a prepared-statement slot on every connection.
   * SQLite's prepared statements are this already, so there it is `db`.
   */
  preparedDb: Db;
  tables: Tables;
  readWrite(raw: unknown): WriteResult;
  isUniqueViolation(error: unknown): boolean;
  isForeignKeyViolation(error: unknown): boolean;
  /**
   * Runs a statement written with drizzle's `sql` (for what the query builder does not share between dialects),
   * on `on` (a transaction's Drizzle) or else the store's.
   */
  rows<T>(query: SQL, on?: Db): Promise<T[]>;
  /** Runs a statement written with drizzle's `sql` on `db` (the store's, or a transaction's); returns its raw result. */
  run(db: Db, query: SQL): Promise<unknown>;
  /**
   * Runs `work` in a transaction and commits it. MySQL runs it again as a whole when the database rolled it back
   * for a deadlock or a lock wait (db/deadline-pool.ts); SQLite runs one transaction at a time. `work` must do
   * database work only: no call to Stripe or the CRM may hold a transaction open.
   */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>;
  /** Runs a write outside any transaction: on SQLite it waits for the transaction under way, if any. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** The select as a locking read (FOR UPDATE) on MySQL; SQLite's transactions already hold the write lock. */
  forUpdate<T>(query: T): T;
  /**
   * `INSERT` of the rows that adds their `adds` to the row already there with the same `keys`; keys, adds and the
   * rows' fields are the table's property names (`amountMinor`).
   */
  upsertAdding(table: MySqlTable, keys: string[], adds: string[], rows: object[]): SQL;
  /** The 15-minute UTC slot of a timestamp column, in SQL. */
  slotOf(column: Column): SQL;
  ping(): Promise<void>;
  /** MySQL's pool: connections in use, requests waiting for one, and the limit; SQLite has none. */
  poolStats(): PoolStats | undefined;
  /** The `when` of the newest migration applied, from drizzle's own table; undefined when none was. */
  latestMigration(): Promise<number | undefined>;
  close(): Promise<void>;
}

/**
 * The adapter as seen inside a transaction on `tx`: every statement runs on it, a nested transaction is part of
 * it, and a lone write needs no turn of its own (it holds the connection already).
 */
export function withinTransaction(adapter: DialectAdapter, tx: Db): DialectAdapter {
  return {
    ...adapter,
    db: tx,
    preparedDb: tx,
    rows: (query, on) => adapter.rows(query, on ?? tx),
    transaction: (work) => work(tx),
    exclusive: (work) => work(),
    close: async () => {
      throw new Error("a transaction's store is not closed; its transaction ends with its work");
    },
  };
}

/** What every part of the store (db/*-store.ts) works with: the dialect's adapter, its Drizzle and its tables. */
export abstract class StorePart {
  protected readonly db: Db;
  protected readonly t: Tables;

  constructor(protected readonly adapter: DialectAdapter) {
    this.db = adapter.db;
    this.t = adapter.tables;
  }

  /** One write statement outside any transaction (Drizzle runs a query when it is awaited, here in its turn). */
  protected async write(query: PromiseLike<unknown>): Promise<WriteResult> {
    return this.adapter.readWrite(await this.adapter.exclusive(async () => await query));
  }

  /** A conditional update of orders: true when it changed a row, which is how races are decided. */
  protected async updateOrders(
    changes: MySqlUpdateSetSource<Tables["orders"]>,
    where: SQL | undefined,
  ): Promise<boolean> {
    const { affectedRows } = await this.write(this.db.update(this.t.orders).set(changes).where(where));
    return affectedRows > 0;
  }

  protected async updateRefunds(
    changes: MySqlUpdateSetSource<Tables["refunds"]>,
    where: SQL | undefined,
  ): Promise<boolean> {
    const { affectedRows } = await this.write(this.db.update(this.t.refunds).set(changes).where(where));
    return affectedRows > 0;
  }
}
