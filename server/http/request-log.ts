import type { MiddlewareHandler } from "hono";
import type { LogFields } from "./context.ts";

export type LogSink = (line: string) => void;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Gives every request an id (kept from X-Request-Id when it is sane), echoes it, and logs one line (none without a sink). */
export function requestLog(sink: LogSink | undefined): MiddlewareHandler {
  return async (c, next) => {
    const incoming = c.req.header("X-Request-Id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    c.set("log", (fields: LogFields) =>
      sink?.(JSON.stringify({ time: new Date().toISOString(), request_id: requestId, ...fields })),
    );
    const started = performance.now();
    await next();
    c.header("X-Request-Id", requestId);
    if (!sink) return;
    sink(
      JSON.stringify({
        time: new Date().toISOString(),
        level: c.res.status >= 500 ? "error" : "info",
        msg: "request",
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        request_id: requestId,
        ip: c.get("clientIp"),
      }),
    );
  };
}
