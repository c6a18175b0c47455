import type { PoolConnection } from "mysql2";
import type { Pool } from "mysql2/promise";
import { hostOf } from "./database-hosts.ts";
import { errorCode } from "./error-code.ts";

/** How often, while a later node is in use, the earlier ones are asked whether they can serve again. */
const RECHECK_MS = 5000;
/** Longer than any wait for a connection (DB_TIMEOUT_MS is at most 120 s). */
const RETIRE_AFTER_MS = 150_000;

/**
 * Errors that say the node itself cannot serve (down, unreachable, lost, or a Galera node not Synced, which
 * answers 1047 "WSREP has not yet prepared node for application use" and 1317 while it leaves), not that the
 * statement was wrong or lost a conflict.
 */
const NODE_DOWN = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "PROTOCOL_CONNECTION_LOST",
  "ER_UNKNOWN_COM_ERROR",
  "ER_QUERY_INTERRUPTED",
]);

export function isNodeDown(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && NODE_DOWN.has(code);
}

/** Refused before anything ran: the same work may be sent to another node. */
export function isRefusedBeforeRunning(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ER_UNKNOWN_COM_ERROR" || code === "ECONNREFUSED";
}

type Log = (fields: Record<string, unknown>) => void;

/**
 * One mysql2 pool per node of DATABASE_URL, used one node at a time: the first that serves, in the URL's order.
 * A node that refuses a connection, drops one, or answers that it is not ready is left for the next (its pool is
 * retired, and closed once nobody can still wait on it); every RECHECK_MS the nodes before the
 * one in use are asked whether they are reachable and, on a Galera cluster, Synced, and the first that is is used
 * again. Writing through one node at a time keeps a shop's writes off the certification conflicts two writing
 * nodes have with each other (docs/scaling.md).
 */
export class FailoverPool {
  private readonly pools: (Pool | undefined)[];
  private readonly retired = new Set<Pool>();
  private current = 0;
  private readonly nodeOf = new WeakMap<PoolConnection, number>();
  private recheck: ReturnType<typeof setInterval> | undefined;
  private checking = false;

  private readonly log: Log;
  private readonly recheckMs: number;

  constructor(
    private readonly hostUrls: string[],
    private readonly makePool: (hostUrl: string) => Pool,
    options: { log?: Log; recheckMs?: number } = {},
  ) {
    this.pools = hostUrls.map(() => undefined);
    this.log = options.log ?? (() => {});
    this.recheckMs = options.recheckMs ?? RECHECK_MS;
  }

  /** How many nodes DATABASE_URL names. */
  get nodes(): number {
    return this.hostUrls.length;
  }

  /** The node in use now, as host:port. */
  get node(): string {
    return hostOf(this.hostUrls[this.current] as string);
  }

  /**
   * A connection on the node in use; a node that cannot be reached is left for the next, once around the list.
   * The connection is mysql2's own, the same object for its whole life: the promise pool would wrap it in a new
   * event emitter at every checkout, a cost every statement paid (docs/performance.md).
   */
  async getConnection(): Promise<PoolConnection> {
    let lastError: unknown;
    for (let tried = 0; tried < this.hostUrls.length; tried++) {
      const index = this.current;
      try {
        const connection = await checkOut(this.poolAt(index));
        this.nodeOf.set(connection, index);
        return connection;
      } catch (error) {
        if (!isNodeDown(error)) throw error;
        lastError = error;
        this.leave(index, error);
      }
    }
    throw lastError;
  }

  /** A statement on `connection` failed: when it says the node cannot serve, the next one is used from now on. */
  failed(connection: PoolConnection, error: unknown): void {
    const index = this.nodeOf.get(connection);
    if (index !== undefined && isNodeDown(error)) this.leave(index, error);
  }

  async end(): Promise<void> {
    clearInterval(this.recheck);
    this.recheck = undefined;
    await Promise.all([...this.pools, ...this.retired].map((pool) => pool?.end().catch(() => undefined)));
  }

  private poolAt(index: number): Pool {
    let pool = this.pools[index];
    if (!pool) {
      pool = this.makePool(this.hostUrls[index] as string);
      this.pools[index] = pool;
    }
    return pool;
  }

  private leave(index: number, error: unknown): void {
    if (this.hostUrls.length === 1 || index !== this.current) return;
    this.current = (index + 1) % this.hostUrls.length;
    // Its idle connections are dead, or on a node that cannot serve: the node gets a new pool when it is used
    // again. The old one is closed once nobody can still be waiting on it (a wait ends after timeoutMs).
    const pool = this.pools[index];
    this.pools[index] = undefined;
    if (pool) {
      this.retired.add(pool);
      setTimeout(() => {
        this.retired.delete(pool);
        void pool.end().catch(() => undefined);
      }, RETIRE_AFTER_MS).unref?.();
    }
    this.log({
      level: "warn",
      msg: "database node left",
      node: hostOf(this.hostUrls[index] as string),
      cause: errorCode(error),
      now_using: this.node,
    });
    this.recheck ??= setInterval(() => void this.returnToEarlierNode(), this.recheckMs);
    this.recheck.unref?.();
  }

  private async returnToEarlierNode(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (let index = 0; index < this.current; index++) {
        if (await nodeIsServing(this.hostUrls[index] as string)) {
          const left = this.current;
          this.current = index;
          this.log({
            level: "info",
            msg: "database node back",
            node: this.node,
            left: hostOf(this.hostUrls[left] as string),
          });
          break;
        }
      }
      if (this.current === 0) {
        clearInterval(this.recheck);
        this.recheck = undefined;
      }
    } finally {
      this.checking = false;
    }
  }
}

function checkOut(pool: Pool): Promise<PoolConnection> {
  return new Promise((resolve, reject) => {
    pool.pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection)));
  });
}

/** The node answers, and is either no Galera node or a Synced one that is ready for clients. */
export async function nodeIsServing(hostUrl: string): Promise<boolean> {
  const { createConnection } = await import("mysql2/promise");
  try {
    const connection = await createConnection({ uri: hostUrl, connectTimeout: 2000 });
    try {
      const onCluster = await connection
        .query({ sql: "SELECT @@wsrep_on AS wsrep_on", timeout: 2000 })
        .then(([rows]) => Number((rows as { wsrep_on: number }[])[0]?.wsrep_on) === 1)
        .catch((error: unknown) => {
          if (errorCode(error) === "ER_UNKNOWN_SYSTEM_VARIABLE") return false;
          throw error;
        });
      if (!onCluster) return true;
      const [rows] = (await connection.query({
        sql: "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment')",
        timeout: 2000,
      })) as unknown as [{ Variable_name: string; Value: string }[]];
      const status = Object.fromEntries(rows.map((row) => [row.Variable_name.toLowerCase(), row.Value]));
      return status.wsrep_ready === "ON" && status.wsrep_local_state_comment === "Synced";
    } finally {
      await connection.end().catch(() => undefined);
    }
  } catch {
    return false;
  }
}

/** The first node that serves, in DATABASE_URL's order; the first of all when none does (its error will say why). */
export async function firstServingNode(hostUrls: string[]): Promise<string> {
  if (hostUrls.length === 1) return hostUrls[0] as string;
  for (const hostUrl of hostUrls) if (await nodeIsServing(hostUrl)) return hostUrl;
  return hostUrls[0] as string;
}
