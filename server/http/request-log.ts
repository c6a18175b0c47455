import type { MiddlewareHandler } from "hono";
import type { LogFields } from "./context.ts";
import { jsonLog, type LogSink } from "./logger.ts";

/**
 * Logs one line per request (none without a sink), with the id hono/request-id gave it (kept from X-Request-Id
 * when it is sane, which nginx passes on), and answers with that id.
 */
export function requestLog(sink: LogSink | undefined): MiddlewareHandler {
  const log = jsonLog(sink);
  return async (c, next) => {
    const requestId = c.get("requestId");
    c.set("log", (fields: LogFields) => log({ request_id: requestId, ...fields }));
    const started = performance.now();
    await next();
    // hono/request-id sets the header before the handler runs, which a handler's own Response (a problem) drops.
    // Set on the answer's own headers: `c.header` after the handler copies the whole Response.
    c.res.headers.set("X-Request-Id", requestId);
    if (!sink) return;
    log({
      level: c.res.status >= 500 ? "error" : "info",
      msg: "request",
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      request_id: requestId,
      ip: c.get("clientIp"),
    });
  };
}
