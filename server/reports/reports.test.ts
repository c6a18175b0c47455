import { expect, test } from "bun:test";
import { formatMinor, parseMinor } from "../shared/money.ts";
import { customerWithOrder, request, storeTargets, useApp } from "../test-support.ts";

for (const target of storeTargets()) {
  target.describe(`GET /api/v1/reports/summary/ on ${target.name}`, () => {
    const stack = useApp(target);
    const summary = async (token: string) => {
      const response = await request(stack.app, "GET", "/api/v1/reports/summary/", { token });
      expect(response.status).toBe(200);
      return response.json();
    };

    test("counts every order, and revenue from paid orders only", async () => {
      const { customer, order } = await customerWithOrder(stack, { priceMinor: 1000, quantity: 3 });
      const before = await summary(customer.token);
      expect(before).toMatchObject({ currency: "usd" });
      await customerWithOrder(stack, { priceMinor: 700, quantity: 1 });
      const afterOrder = await summary(customer.token);
      expect(afterOrder.total_orders - before.total_orders).toBe(1);
      expect(afterOrder.pending_orders - before.pending_orders).toBe(1);
      expect(afterOrder.total_revenue).toBe(before.total_revenue);

      await stack.store.markOrderPaid(order.id, {
        sessionId: `cs_test_report_${order.id}`,
        paymentIntentId: null,
        paidAt: new Date(),
      });
      const afterPayment = await summary(customer.token);
      expect(afterPayment.total_orders).toBe(afterOrder.total_orders);
      expect(afterPayment.paid_orders - afterOrder.paid_orders).toBe(1);
      expect(afterPayment.pending_orders - afterOrder.pending_orders).toBe(-1);
      expect(parseMinor(afterPayment.total_revenue, "usd")).toBe(
        (parseMinor(afterOrder.total_revenue, "usd") ?? 0) + 3000,
      );
      expect(afterPayment.revenue_by_currency.usd).toBe(afterPayment.total_revenue);
      expect(afterPayment.total_orders).toBe(afterPayment.paid_orders + afterPayment.pending_orders);
      expect(formatMinor(parseMinor(afterPayment.total_revenue, "usd") ?? -1, "usd")).toBe(
        afterPayment.total_revenue,
      );
    });

    test("is for signed-in users only", async () => {
      const response = await request(stack.app, "GET", "/api/v1/reports/summary");
      expect(response.status).toBe(401);
    });
  });
}
