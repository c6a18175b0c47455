import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type ErrorKind, type FieldErrors } from "../shared/errors.ts";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/** How each kind of error is answered. */
const PROBLEMS: Record<ErrorKind, { status: ContentfulStatusCode; type?: string }> = {
  "invalid-input": { status: 400, type: "validation-error" },
  "invalid-signature": { status: 400, type: "invalid-signature" },
  unauthenticated: { status: 401, type: "unauthorized" },
  forbidden: { status: 403, type: "forbidden" },
  "not-found": { status: 404, type: "not-found" },
  conflict: { status: 409, type: "conflict" },
  "too-large": { status: 413 },
  "rate-limited": { status: 429, type: "rate-limited" },
  "not-configured": { status: 503 },
  "provider-unavailable": { status: 503, type: "payment-provider-unavailable" },
  "provider-failed": { status: 502, type: "payment-provider-error" },
};

export function statusOf(error: AppError): ContentfulStatusCode {
  return PROBLEMS[error.kind].status;
}

/** The headers that go with an error: how to authenticate, when to retry. */
export function headersOf(error: AppError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error.kind === "unauthenticated") headers["WWW-Authenticate"] = 'Bearer realm="api"';
  if (error.details.retryAfterSeconds !== undefined)
    headers["Retry-After"] = String(error.details.retryAfterSeconds);
  return headers;
}

export interface ProblemOptions {
  type?: string;
  errors?: FieldErrors;
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

export function problemResponse(
  c: Context,
  status: ContentfulStatusCode,
  detail: string,
  options: ProblemOptions = {},
): Response {
  const body = {
    type: options.type ? `/problems/${options.type}` : "about:blank",
    title: TITLES[status] ?? "Error",
    status,
    detail,
    instance: c.req.path,
    request_id: c.get("requestId"),
    ...(options.errors ? { errors: options.errors } : {}),
    ...options.extensions,
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/problem+json", ...options.headers },
  });
}

export function handleError(error: Error, c: Context): Response {
  if (error instanceof AppError) {
    return problemResponse(c, statusOf(error), error.detail, {
      type: PROBLEMS[error.kind].type,
      errors: error.details.fields,
      headers: headersOf(error),
      extensions: error.details.extensions,
    });
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    const detail =
      status === 400 && /json/i.test(error.message)
        ? "The request body is not valid JSON."
        : error.message || (TITLES[status] ?? "Error");
    return problemResponse(c, status, detail, { type: status === 400 ? "malformed-request" : undefined });
  }
  if (isDatabaseUnavailable(error)) {
    logDatabaseUnavailable(c, error);
    return problemResponse(c, 503, "The service is temporarily unavailable. Please try again shortly.", {
      type: "service-unavailable",
      headers: { "Retry-After": "5" },
    });
  }
  c.get("log")?.({ level: "error", msg: "unhandled error", error: error.stack ?? String(error) });
  return problemResponse(c, 500, "An unexpected error occurred. Quote the request id when reporting it.");
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_CON_COUNT_ERROR",
  "SQLITE_BUSY",
  // Still in conflict with other writers after the pool's retries (db/deadline-pool.ts): a moment later will do.
  "ER_LOCK_DEADLOCK",
  "ER_LOCK_WAIT_TIMEOUT",
  // Configuration the operator must fix (wrong password, no such database): still "unavailable", not a bug.
  "ER_ACCESS_DENIED_ERROR",
  "ER_DBACCESS_DENIED_ERROR",
  "ER_BAD_DB_ERROR",
]);

/** The error in the chain that carries a database code. */
function databaseError(error: unknown): { code: string; message: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) {
      return { code, message: String((current as { message?: unknown }).message ?? code) };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isDatabaseUnavailable(error: unknown): boolean {
  return databaseError(error) !== undefined;
}

/** The cause as the driver said it ("Access denied for user ..."), without a stack. */
function databaseCause(error: unknown): string {
  const found = databaseError(error);
  return found ? `${found.code}: ${found.message}` : String(error);
}

const REPEAT_LOG_MS = 60_000;
const lastLogged = new Map<string, number>();

/**
 * Logs the cause of a database that cannot serve (the driver's code and words), once a minute per cause: a
 * database that is down must not write a line per request.
 */
export function logDatabaseUnavailable(c: Context, error: unknown): void {
  const cause = databaseCause(error);
  if (firstInAWhile(cause)) c.get("log")?.({ level: "error", msg: "database unavailable", error: cause });
}

function firstInAWhile(cause: string, now = Date.now()): boolean {
  const last = lastLogged.get(cause);
  if (last !== undefined && now - last < REPEAT_LOG_MS) return false;
  if (lastLogged.size > 100) lastLogged.clear();
  lastLogged.set(cause, now);
  return true;
}
