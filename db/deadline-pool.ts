import { setTimeout as sleep } from "node:timers/promises";
import type { ExecuteValues, FieldPacket, PoolConnection, QueryOptions, QueryResult } from "mysql2";
import { errorCode } from "./error-code.ts";
import { type FailoverPool, isNodeDown, isRefusedBeforeRunning } from "./failover-pool.ts";

/** The first pause before running again what lost a conflict; each next one may be twice as long, up to the cap. */
const BACKOFF_FIRST_MS = 5;
const BACKOFF_CAP_MS = 250;
type Values = QueryOptions["values"];
type Answer = Promise<[QueryResult, FieldPacket[]]>;

/** What a connection offers Drizzle, as mysql2's promise API does: statements bounded by the pool's timeout. */
export interface TransactionClient {
  query(statement: string | QueryOptions, values?: Values): Answer;
  execute(statement: string | QueryOptions, values?: ExecuteValues): Answer;
}

/**
 * mysql2's pool waits without end: for a free connection, and for the answer on a connection whose peer went
 * silent (a network partition, a frozen database server). This client, which Drizzle uses in place of the
 * pool, bounds both waits by timeoutMs; either way the error is one the API answers with a 503. A connection
 * whose statement timed out is destroyed, never handed to the next request: its answer may still be on the way,
 * or never come.
 *
 * A statement InnoDB picked as a deadlock's victim is run again: each statement here is a transaction of its
 * own, which InnoDB has rolled back whole, so running it again is what MySQL's manual asks of the application. A
 * transaction (`transaction`) rolled back for a deadlock or a lock wait timeout (InnoDB's, or a Galera cluster's
 * certification conflict, which MariaDB reports as a deadlock) is run again as a whole. Each new run comes after
 * a random pause whose ceiling doubles (full jitter, so the rivals do not meet again at once), for as long as the
 * first run started less than timeoutMs ago; then the conflict is the caller's (a 503 with Retry-After).
 *
 * With several nodes (FailoverPool), work a node refused before running it (not ready, or a transaction whose
 * START TRANSACTION found the connection dead) is run again the same way on the node the pool moved to.
 */
export class DeadlinePool {
  /** Statements holding a connection now, and requests waiting for one (the metrics read them). */
  inUse = 0;
  waiting = 0;
  /** Statements and transactions run again after losing a deadlock or a lock wait. */
  deadlocksRetried = 0;
  private readonly clients = new WeakMap<PoolConnection, TransactionClient>();

  constructor(
    private readonly pool: FailoverPool,
    private readonly timeoutMs: number,
    readonly limit: number,
  ) {}

  query(statement: string | QueryOptions, values?: Values): Answer {
    return this.retryingConflicts(() =>
      this.withConnection((connection) => this.clientOf(connection).query(statement, values)),
    );
  }

  /** As `query`, prepared by the server once per connection (db/store-part.ts `preparedDb`). */
  execute(statement: string | QueryOptions, values?: ExecuteValues): Answer {
    return this.retryingConflicts(() =>
      this.withConnection((connection) => this.clientOf(connection).execute(statement, values)),
    );
  }

  /**
   * Runs `run` in a transaction on a connection of its own, every statement bounded by the timeout, and commits
   * it; runs it again from the start when the database rolled it back to break a deadlock or a lock wait, or a
   * node refused it before it began. `run` must therefore do nothing but database work that a rollback undoes.
   */
  async transaction<T>(run: (client: TransactionClient) => Promise<T>): Promise<T> {
    return this.retryingConflicts(() => this.transactionOnce(run));
  }

  private async transactionOnce<T>(run: (client: TransactionClient) => Promise<T>): Promise<T> {
    const connection = await this.getConnection();
    this.inUse++;
    const client = this.clientOf(connection);
    let begun = false;
    try {
      await client.query("START TRANSACTION");
      begun = true;
      const result = await run(client);
      await client.query("COMMIT");
      connection.release();
      return result;
    } catch (error) {
      this.pool.failed(connection, error);
      if (!begun && isNodeDown(error)) notBegun.add(error as object);
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
   * The connection's timed client, one per connection for its life (FailoverPool hands out mysql2's own
   * connections, the same object each time): a transaction's caller may keep what it builds over the client
   * (db/open-store.ts keeps a Drizzle) instead of building it for every transaction.
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

  /** Runs `run` again, after a random pause that grows, while it loses conflicts, until timeoutMs has passed. */
  private async retryingConflicts<T>(run: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (!this.mayRunAgain(error)) throw error;
        const pause = Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** attempt);
        if (Date.now() + pause >= deadline) throw error;
        this.deadlocksRetried++;
        await sleep(pause);
      }
    }
  }

  private mayRunAgain(error: unknown): boolean {
    const code = errorCode(error);
    if (code === "ER_LOCK_DEADLOCK" || code === "ER_LOCK_WAIT_TIMEOUT") return true;
    return this.pool.nodes > 1 && (isRefusedBeforeRunning(error) || notBegun.has(error as object));
  }

  private async withConnection<T>(run: (connection: PoolConnection) => Promise<T>): Promise<T> {
    const connection = await this.getConnection();
    this.inUse++;
    try {
      const result = await run(connection);
      connection.release();
      return result;
    } catch (error) {
      this.pool.failed(connection, error);
      if (isBroken(error)) connection.destroy();
      else connection.release();
      throw error;
    } finally {
      this.inUse--;
    }
  }
}

/** Errors of transactions that never began (their connection was dead): nothing of them ran anywhere. */
const notBegun = new WeakSet<object>();

function databaseTimeout(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The connection's statements, each bounded by `timeoutMs`, answered as mysql2's promise API answers. */
function timed(connection: PoolConnection, timeoutMs: number): TransactionClient {
  type Done = (error: Error | null, rows: QueryResult, fields: FieldPacket[]) => void;
  const send =
    <V>(run: (options: QueryOptions, values: V, done: Done) => void) =>
    (statement: string | QueryOptions, values: V): Answer =>
      new Promise((resolve, reject) => {
        run(bounded(statement, timeoutMs), values, (error, rows, fields) =>
          error ? reject(error) : resolve([rows, fields]),
        );
      });
  return {
    query: send<Values>((options, values, done) => connection.query(options, values, done)),
    execute: send<ExecuteValues | undefined>((options, values, done) =>
      connection.execute(options, values as ExecuteValues, done),
    ),
  };
}

/**
 * The statement with its time limit. The only typeCast it can carry is Drizzle's, which turns DATETIME, DATE and
 * TIMESTAMP values into strings by a call for every column of every row (a tenth of an own-order read's CPU,
 * docs/performance.md): dateStrings makes the same strings in the row parser itself.
 */
function bounded(statement: string | QueryOptions, timeoutMs: number): QueryOptions {
  const { typeCast, ...options } = typeof statement === "string" ? { sql: statement } : statement;
  return { ...options, ...(typeCast ? { dateStrings: true } : {}), timeout: timeoutMs };
}

/** A timed-out statement, or a fatal error (the connection is lost): the connection is no use to anyone. */
function isBroken(error: unknown): boolean {
  const { code, fatal } = error as { code?: unknown; fatal?: unknown };
  return code === "PROTOCOL_SEQUENCE_TIMEOUT" || fatal === true;
}
