import { errorCode } from "../../db/error-code.ts";
import type { Log } from "../http/logger.ts";

/** Driver codes that mean the database cannot serve right now, not that the request or the code is wrong. */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "ER_CON_COUNT_ERROR",
  // A Galera node that is not Synced ("WSREP has not yet prepared node for application use"), or leaving.
  "ER_UNKNOWN_COM_ERROR",
  "ER_QUERY_INTERRUPTED",
  "SQLITE_BUSY",
  // Still in conflict with other writers after the pool's retries (db/deadline-pool.ts): a moment later will do.
  "ER_LOCK_DEADLOCK",
  "ER_LOCK_WAIT_TIMEOUT",
  // Configuration the operator must fix (wrong password, no such database): still "unavailable", not a bug.
  "ER_ACCESS_DENIED_ERROR",
  "ER_DBACCESS_DENIED_ERROR",
  "ER_BAD_DB_ERROR",
]);

/** The innermost error of the chain (the driver's, under Drizzle's "Failed query: ..."). */
function rootOf(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    const cause = (current as { cause?: unknown } | undefined)?.cause;
    if (!cause) break;
    current = cause;
  }
  return current;
}

/** What went wrong in the driver's words, with its code, and never the SQL text of the query that failed. */
export function failureOf(error: unknown): string {
  const root = rootOf(error);
  const message = root instanceof Error ? root.message : String(root);
  const code = errorCode(error);
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && UNAVAILABLE_CODES.has(code);
}

const REPEAT_LOG_MS = 60_000;
const lastLogged = new Map<string, number>();

function firstInAWhile(cause: string, now = Date.now()): boolean {
  const last = lastLogged.get(cause);
  if (last !== undefined && now - last < REPEAT_LOG_MS) return false;
  if (lastLogged.size > 100) lastLogged.clear();
  lastLogged.set(cause, now);
  return true;
}

/**
 * Logs the cause of a database that cannot serve (the driver's code and words), once a minute per cause in this
 * process, whoever meets it: a database that is down must not write a line per request or per background pass.
 */
export function logDatabaseUnavailable(log: Log | undefined, error: unknown): void {
  const cause = failureOf(error);
  if (firstInAWhile(cause)) log?.({ level: "error", msg: "database unavailable", error: cause });
}

/** A background pass that failed: an unavailable database as above, anything else one line with its cause. */
export function logPassFailure(log: Log, msg: string, error: unknown, fields: Record<string, unknown> = {}) {
  if (isDatabaseUnavailable(error)) logDatabaseUnavailable(log, error);
  else log({ level: "error", msg, ...fields, error: failureOf(error) });
}
