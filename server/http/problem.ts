import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorCode } from "../../db/error-code.ts";
import { AppError, type ErrorKind, type FieldErrors } from "../shared/errors.ts";
import { isDatabaseUnavailable, logDatabaseUnavailable } from "../shared/failures.ts";

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
    logDatabaseUnavailable(c.get("log"), error);
    return problemResponse(c, 503, "The service is temporarily unavailable. Please try again shortly.", {
      type: "service-unavailable",
      headers: { "Retry-After": "5" },
    });
  }
  c.get("log")?.({
    level: "error",
    msg: "unhandled error",
    code: errorCode(error),
    error: error.stack ?? String(error),
  });
  return problemResponse(c, 500, "An unexpected error occurred. Quote the request id when reporting it.");
}
