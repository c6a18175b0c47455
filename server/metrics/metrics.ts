import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "../../db/store.ts";

type Log = (fields: Record<string, unknown>) => void;

/** The events the app already logs that are worth counting: the log line's `msg`, and the counter it feeds. */
const COUNTED_EVENTS: Record<string, { counter: "payments" | "refunds" | "crm"; outcome: string }> = {
  "order paid": { counter: "payments", outcome: "paid" },
  "order cancelled": { counter: "payments", outcome: "cancelled" },
  "checkout amount mismatch": { counter: "payments", outcome: "amount_mismatch" },
  "second payment for a paid order: refund it": { counter: "payments", outcome: "second_payment" },
  "webhook event not applied": { counter: "payments", outcome: "webhook_not_applied" },
  "order refunded": { counter: "refunds", outcome: "refunded" },
  "refunding a payment the order cannot take": { counter: "refunds", outcome: "unwanted_payment" },
  "refund of an unwanted payment failed": { counter: "refunds", outcome: "unwanted_payment_failed" },
  "refund for an unknown payment": { counter: "refunds", outcome: "unknown_payment" },
  "refund reconciliation failed": { counter: "refunds", outcome: "reconciliation_failed" },
  "crm sync succeeded": { counter: "crm", outcome: "success" },
  "crm sync failed": { counter: "crm", outcome: "failed" },
};

/**
 * The Prometheus metrics of one process (prom-client, in a registry of its own): requests by route pattern and
 * status with latency histograms, payments, refunds and CRM syncs by outcome (counted from the events the app logs), and,
 * read when scraped, the CRM backlog and the database pool.
 */
export class Metrics {
  /** A process's metrics, reading the store's figures when scraped. */
  static for(store: Store): Metrics {
    const metrics = new Metrics();
    metrics.watch(store);
    return metrics;
  }

  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  private readonly durations = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly series = new Map<
    string,
    { count: ReturnType<Counter["labels"]>; duration: ReturnType<Histogram["labels"]> }
  >();
  private readonly payments = new Counter({
    name: "payments_total",
    help: "Payment outcomes: paid, cancelled (the order, before it was paid), amount_mismatch, second_payment (money to refund), webhook_not_applied",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly refunds = new Counter({
    name: "refunds_total",
    help: "Refund outcomes: refunded (an admin's refund made), unwanted_payment (money an order cannot take, being returned), unwanted_payment_failed, unknown_payment, reconciliation_failed",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  private readonly crm = new Counter({
    name: "crm_syncs_total",
    help: "CRM sync attempts by outcome",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });

  /** Counts the store's figures when scraped: the CRM backlog and, on MySQL, the connection pool. */
  private watch(store: Store): void {
    new Gauge({
      name: "crm_orders",
      help: "Paid orders not yet in the CRM: waiting (will be tried again) and failed (last attempt failed)",
      labelNames: ["state"] as const,
      registers: [this.registry],
      async collect() {
        const health = await store.crmHealth();
        this.set({ state: "waiting" }, health.waiting);
        this.set({ state: "failed" }, health.failed);
      },
    });
    new Gauge({
      name: "db_pool_connections",
      help: "MySQL pool: connections in use, requests waiting for one, and the pool's limit",
      labelNames: ["state"] as const,
      registers: [this.registry],
      collect() {
        const pool = store.poolStats();
        if (!pool) return;
        this.set({ state: "in_use" }, pool.inUse);
        this.set({ state: "waiting" }, pool.waiting);
        this.set({ state: "limit" }, pool.limit);
      },
    });
    let deadlocksReported = 0;
    new Counter({
      name: "db_deadlock_retries_total",
      help: "MySQL statements and transactions run again after the database rolled them back for a deadlock, a lock wait or a cluster's certification conflict",
      registers: [this.registry],
      collect() {
        const pool = store.poolStats();
        if (!pool) return;
        this.inc(pool.deadlocksRetried - deadlocksReported);
        deadlocksReported = pool.deadlocksRetried;
      },
    });
  }

  /** The same log, counting the events in COUNTED_EVENTS on the way. */
  tap(log: Log): Log {
    return (fields) => {
      const event = COUNTED_EVENTS[String(fields.msg)];
      if (event) this[event.counter].inc({ outcome: event.outcome });
      log(fields);
    };
  }

  /** Times every request and labels it with the route pattern that answered it, never the raw path. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const started = performance.now();
      try {
        await next();
      } finally {
        const route = matchedRoutes(c).find((matched) => matched.method !== "ALL")?.path ?? "unmatched";
        const series = this.seriesOf(c.req.method, route, c.res.status);
        series.count.inc();
        series.duration.observe((performance.now() - started) / 1000);
      }
    };
  }

  /**
   * A request's counter and histogram, looked up once per method, route and status: prom-client hashes a label
   * object on every call, which cost a GET of one's own order a twentieth of its CPU (docs/performance.md).
   */
  private seriesOf(method: string, route: string, status: number) {
    const key = `${method} ${route} ${status}`;
    let series = this.series.get(key);
    if (!series) {
      const labels = { method, route, status: String(status) };
      series = { count: this.requests.labels(labels), duration: this.durations.labels(labels) };
      this.series.set(key, series);
    }
    return series;
  }
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/**
 * Who may read /metrics: a client on this machine that did not come through a proxy (a request nginx forwards
 * carries X-Forwarded-For, and nginx answers /metrics with 404 itself), or one that sends METRICS_TOKEN.
 */
export function mayReadMetrics(
  peer: string | undefined,
  headers: { authorization?: string; forwardedFor?: string },
  token: string | undefined,
): boolean {
  if (token && headers.authorization) {
    const expected = Buffer.from(`Bearer ${token}`);
    const given = Buffer.from(headers.authorization);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  return headers.forwardedFor === undefined && peer !== undefined && LOOPBACK.test(peer);
}
