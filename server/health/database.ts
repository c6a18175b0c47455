import { errorCode } from "../../db/error-code.ts";
import type { Store } from "../../db/store.ts";

/** A database that hangs is as unready as one that refuses. */
const CHECK_TIMEOUT_MS = 2000;

export type DatabaseState =
  | { ready: true }
  | {
      ready: false;
      cause: "unreachable" | "not ready" | "access denied" | "unknown database" | "not migrated";
      detail: string;
      /** The driver's error, when the database refused or did not answer. */
      error?: unknown;
    };

/** Whether the database answers and has this version's schema, and if not, why, in the driver's words. */
export async function checkDatabase(store: Store): Promise<DatabaseState> {
  try {
    await withTimeout(store.ping());
    const problem = await withTimeout(store.schemaProblem());
    return problem ? { ready: false, cause: "not migrated", detail: problem } : { ready: true };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    switch (errorCode(error)) {
      case "ER_UNKNOWN_COM_ERROR":
      case "ER_QUERY_INTERRUPTED":
        return { ready: false, cause: "not ready", detail, error };
      case "ER_ACCESS_DENIED_ERROR":
      case "ER_DBACCESS_DENIED_ERROR":
        return { ready: false, cause: "access denied", detail, error };
      case "ER_BAD_DB_ERROR":
        return {
          ready: false,
          cause: "unknown database",
          detail: `${detail}: create it (CREATE DATABASE ...), then run bun run db:migrate`,
          error,
        };
      default:
        return { ready: false, cause: "unreachable", detail, error };
    }
  }
}

/**
 * Start-up refuses a database it could never serve (no such database, schema not migrated) with one line that
 * says what to run. One that is down or refuses the password may come back, so the server starts and answers
 * 503 meanwhile; the line says why.
 */
export async function checkDatabaseAtStart(store: Store, log: (fields: Record<string, unknown>) => void) {
  const state = await checkDatabase(store).catch((error: unknown) => ({
    ready: false as const,
    cause: "unreachable" as const,
    detail: error instanceof Error ? error.message : String(error),
  }));
  if (state.ready) return;
  const fatal = state.cause === "unknown database" || state.cause === "not migrated";
  log({ level: fatal ? "error" : "warn", msg: `database not ready (${state.cause}): ${state.detail}` });
  if (fatal) {
    await store.close();
    process.exit(1);
  }
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("the database did not answer in time")), CHECK_TIMEOUT_MS).unref(),
    ),
  ]);
}
