import { setTimeout as sleep } from "node:timers/promises";
import type { ExecuteValues, Pool, PoolConnection, QueryOptions } from "mysql2/promise";
import { errorCode } from "./error-code.ts";

/**
 * A statement or transaction the database rolled back for a deadlock or a lock wait (on a Galera cluster, a
 * certification conflict with another node) is run at most this many times in all.
 */
const CONFLICT_ATTEMPTS = 5;
/** What a transaction's connection offers Drizzle: statements bounded by the pool's timeout. */
export interface TransactionClient {
  query(
    statement: string | QueryOptions,
    values?: QueryOptions["values"],
  ): ReturnType<PoolConnection["query"]>;
  execute(sql: string, values?: ExecuteValues): ReturnType<PoolConnection["execute"]>;
}

/**
 * mysql2's pool waits without end: for a free connection, and for the answer on a connection whose peer went
 * silent (a network partition, a frozen database server). This client, which Drizzle uses in place of the
 * pool, bounds both waits by timeoutMs; either way the error is one the API answers with a 503. A connection
 * whose statement timed out is destroyed, never handed to the next request: its answer may still be on the way,
 * or never come.
 *
 * A statement InnoDB picked as a deadlock's victim is run again (up to CONFLICT_ATTEMPTS times in all): each
 * statement here is a transaction of its own, which InnoDB has rolled back whole, so running it again is what
 * MySQL's manual asks of the application. A transaction (`transaction`) rolled back for a deadlock or a lock wait
 * timeout (InnoDB's, or a Galera cluster's certification conflict, which MariaDB reports as a deadlock) is run
 * again as a whole, after a short random pause so that the rivals do not meet again at once.
 */
export class DeadlinePool {
  /** Statements holding a connection now, and requests waiting for one (the metrics read them). */
  inUse = 0;
  waiting = 0;
  /** Statements and transactions run again after losing a deadlock or a lock wait. */
  deadlocksRetried = 0;
  private readonly clients = new WeakMap<PoolConnection, TransactionClient>();

  constructor(
    private readonly pool: Pool,
    private readonly timeoutMs: number,
    readonly limit: number,
  ) {}

  query(statement: string | QueryOptions, values?: QueryOptions["values"]) {
    return this.retryingConflicts(() =>
      this.withConnection((connection) => timed(connection, this.timeoutMs).query(statement, values)),
    );
  }

  execute(sql: string, values?: ExecuteValues) {
    return this.retryingConflicts(() =>
      this.withConnection((connection) => timed(connection, this.timeoutMs).execute(sql, values)),
    );
  }

  /**
   * Runs `run` in a transaction on a connection of its own, every statement bounded by the timeout, and commits
   * it; runs it again from the start (up to CONFLICT_ATTEMPTS times) when the database rolled it back to break
   * a deadlock or a lock wait. `run` must therefore do nothing but database work that a rollback undoes.
   */
  async transaction<T>(run: (client: TransactionClient) => Promise<T>): Promise<T> {
    return this.retryingConflicts(() => this.transactionOnce(run));
  }

  private async transactionOnce<T>(run: (client: TransactionClient) => Promise<T>): Promise<T> {
    const connection = await this.getConnection();
    this.inUse++;
    const client = this.clientOf(connection);
    try {
      await client.query("START TRANSACTION");
      const result = await run(client);
      await client.query("COMMIT");
      connection.release();
      return result;
    } catch (error) {
      if (isBroken(error)) connection.destroy();
      else
        await client.query("ROLLBACK").then(
          () => connection.release(),
          () => connection.destroy(),
        );
      throw error;
    } finally {
      this.inUse--;
    }
  }

  /**
   * The connection's timed client, one per connection for its life: a transaction's caller may keep what it
   * builds over the client (db/open-store.ts keeps a Drizzle) instead of building it for every transaction.
   */
  private clientOf(connection: PoolConnection): TransactionClient {
    let client = this.clients.get(connection);
    if (!client) {
      client = timed(connection, this.timeoutMs);
      this.clients.set(connection, client);
    }
    return client;
  }

  /** A connection of its own; the caller releases it. */
  getConnection(): Promise<PoolConnection> {
    this.waiting++;
    const waited = new Promise<PoolConnection>((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(databaseTimeout(`no database connection within ${this.timeoutMs} ms`, "ETIMEDOUT"));
      }, this.timeoutMs);
      this.pool.getConnection().then(
        (connection) => {
          clearTimeout(timer);
          if (late) connection.release();
          else resolve(connection);
        },
        (error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
    return waited.finally(() => this.waiting--);
  }

  end() {
    return this.pool.end();
  }

  /** Runs `run` again, after a short random pause that grows, while the database rolls it back for a conflict. */
  private async retryingConflicts<T>(run: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (!isRetryable(error) || attempt >= CONFLICT_ATTEMPTS) throw error;
        this.deadlocksRetried++;
        await sleep(Math.random() * 10 * attempt);
      }
    }
  }

  private async withConnection<T>(run: (connection: PoolConnection) => Promise<T>): Promise<T> {
    const connection = await this.getConnection();
    this.inUse++;
    try {
      const result = await run(connection);
      connection.release();
      return result;
    } catch (error) {
      if (isBroken(error)) connection.destroy();
      else connection.release();
      throw error;
    } finally {
      this.inUse--;
    }
  }
}

function databaseTimeout(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The connection's statements, each bounded by `timeoutMs`. */
function timed(connection: PoolConnection, timeoutMs: number): TransactionClient {
  return {
    query: (statement, values) =>
      connection.query(
        { ...(typeof statement === "string" ? { sql: statement } : statement), timeout: timeoutMs },
        values,
      ),
    execute: (sql, values) => connection.execute({ sql, timeout: timeoutMs }, values),
  };
}

/** The database rolled the statement or transaction back to let another go on: running it again should succeed. */
function isRetryable(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ER_LOCK_DEADLOCK" || code === "ER_LOCK_WAIT_TIMEOUT";
}

/** A timed-out statement, or a fatal error (the connection is lost): the connection is no use to anyone. */
function isBroken(error: unknown): boolean {
  const { code, fatal } = error as { code?: unknown; fatal?: unknown };
  return code === "PROTOCOL_SEQUENCE_TIMEOUT" || fatal === true;
}
