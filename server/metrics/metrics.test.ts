import { expect, test } from "bun:test";
import { usePaymentStack } from "../../tests/payment-stacks.ts";
import { adminToken, customerWithOrder, request, storeTargets } from "../../tests/support.ts";
import { createApp } from "../app.ts";
import { bunPasswordHasher } from "../runtime/passwords.ts";

const TOKEN = "metrics-token-of-at-least-32-characters";

for (const target of storeTargets()) {
  target.describe(`GET /metrics on ${target.name}`, () => {
    const stack = usePaymentStack(target, { METRICS_TOKEN: TOKEN });
    const scrape = async (headers: Record<string, string> = {}, peer = "127.0.0.1") => {
      const response = await stack.app.request("/metrics", { headers: { "X-Test-Peer": peer, ...headers } });
      return {
        status: response.status,
        type: response.headers.get("content-type"),
        text: await response.text(),
      };
    };
    const value = (text: string, series: string) => {
      const line = text.split("\n").find((row) => row.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };

    test("answers only loopback clients that did not come through a proxy, or the metrics token", async () => {
      expect((await scrape()).status).toBe(200);
      expect((await scrape()).type).toContain("text/plain");
      expect((await scrape({}, "::1")).status).toBe(200);
      expect((await scrape({}, "203.0.113.9")).status).toBe(404);
      expect((await scrape({ "X-Forwarded-For": "203.0.113.9" })).status).toBe(404);
      expect((await scrape({ Authorization: `Bearer ${TOKEN}` }, "203.0.113.9")).status).toBe(200);
      expect(
        (await scrape({ Authorization: "Bearer wrong-token-wrong-token-wrong-token" }, "127.0.0.1")).status,
      ).toBe(404);
    });

    test("counts requests by route pattern and status with latencies, payments and CRM syncs by outcome, and the CRM backlog", async () => {
      const before = (await scrape()).text;
      const { customer, order } = await customerWithOrder(stack);
      await request(stack.app, "GET", `/api/v1/orders/${order.id}/`, { token: customer.token });
      await request(stack.app, "GET", "/api/v1/orders/999999999/", { token: customer.token });
      const payment = await request(stack.app, "POST", `/api/v1/orders/${order.id}/create-payment/`, {
        token: customer.token,
      });
      const { session_id } = await payment.json();
      await fetch(`${stack.simulatorUrl}/__simulator/sessions/${session_id}/pay?webhook=false`, {
        method: "POST",
      });
      const confirmed = await request(stack.app, "POST", `/api/v1/orders/${order.id}/confirm-payment/`, {
        token: customer.token,
        body: { session_id },
      });
      expect(confirmed.status).toBe(200);
      const after = (await scrape()).text;
      const grew = (series: string) => value(after, series) - value(before, series);
      expect(grew('http_requests_total{method="GET",route="/api/v1/orders/:id",status="200"}')).toBe(1);
      expect(grew('http_requests_total{method="GET",route="/api/v1/orders/:id",status="404"}')).toBe(1);
      expect(
        grew('http_request_duration_seconds_count{method="GET",route="/api/v1/orders/:id",status="200"}'),
      ).toBe(1);
      expect(after).toContain(
        'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/orders/:id",status="200"}',
      );
      expect(grew('payments_total{outcome="paid"}')).toBe(1);
      expect(grew('crm_syncs_total{outcome="success"}')).toBe(1);
      expect(after).toMatch(/^crm_orders\{state="waiting"\} \d+$/m);
      expect(after).toMatch(/^crm_orders\{state="failed"\} \d+$/m);
      expect(after).not.toContain(`/orders/${order.id}`);
      if (target.name === "mysql") {
        expect(after).toMatch(/^db_pool_connections\{state="limit"\} \d+$/m);
        expect(after).toMatch(/^db_deadlock_retries_total \d+$/m);
      }
    });

    test("counts an admin's refund and a customer's cancellation", async () => {
      const before = (await scrape()).text;
      const paid = await customerWithOrder(stack, { priceMinor: 3000, quantity: 1 });
      const { session_id } = await (
        await request(stack.app, "POST", `/api/v1/orders/${paid.order.id}/create-payment/`, {
          token: paid.customer.token,
        })
      ).json();
      await fetch(`${stack.simulatorUrl}/__simulator/sessions/${session_id}/pay?webhook=false`, {
        method: "POST",
      });
      await request(stack.app, "POST", `/api/v1/orders/${paid.order.id}/confirm-payment/`, {
        token: paid.customer.token,
        body: { session_id },
      });
      const refunded = await request(stack.app, "POST", `/api/v1/orders/${paid.order.id}/refunds/`, {
        token: await adminToken(stack.app, stack.store),
        body: { amount: "10.00" },
      });
      expect(refunded.status).toBe(201);
      const pending = await customerWithOrder(stack);
      const cancelled = await request(stack.app, "POST", `/api/v1/orders/${pending.order.id}/cancel/`, {
        token: pending.customer.token,
      });
      expect(cancelled.status).toBe(200);
      const after = (await scrape()).text;
      const grew = (series: string) => value(after, series) - value(before, series);
      expect(grew('refunds_total{outcome="refunded"}')).toBe(1);
      expect(grew('payments_total{outcome="cancelled"}')).toBe(1);
    });

    test("each app has metrics of its own", async () => {
      const other = createApp({
        config: stack.config,
        store: stack.store,
        passwords: bunPasswordHasher,
        remoteAddress: () => "127.0.0.1",
      });
      const text = await (await other.request("/metrics")).text();
      expect(text).not.toContain("payments_total{");
    });
  });
}
