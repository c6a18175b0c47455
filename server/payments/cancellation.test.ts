import { expect, test } from "bun:test";
import { signedWebhook, stripeEvent, usePaymentStack } from "../../tests/payment-stacks.ts";
import {
  adminToken,
  customerWithOrder,
  registerCustomer,
  request,
  storeTargets,
} from "../../tests/support.ts";
import { waitFor } from "../../tests/waiting.ts";
import { createStripeClient } from "./stripe-client.ts";

for (const target of storeTargets()) {
  target.describe(`cancellations on ${target.name}`, () => {
    const stack = usePaymentStack(target);
    const cancel = (orderId: number, token: string) =>
      request(stack.app, "POST", `/api/v1/orders/${orderId}/cancel/`, { token });
    const createPayment = async (orderId: number, token: string) =>
      request(stack.app, "POST", `/api/v1/orders/${orderId}/create-payment/`, { token });
    const pay = (sessionId: string, webhook = true) =>
      fetch(`${stack.simulatorUrl}/__simulator/sessions/${sessionId}/pay?webhook=${webhook}`, {
        method: "POST",
      });
    const refundsAtStripe = (paymentIntentId: string | null | undefined) =>
      [...stack.simulator.refunds.values()].filter((refund) => refund.payment_intent === paymentIntentId);

    test("the owner cancels a pending order once; repeating it answers the same order; nobody else can", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const stranger = await registerCustomer(stack.app);
      expect((await cancel(order.id, stranger.token)).status).toBe(404);
      const response = await cancel(order.id, customer.token);
      expect(response.status).toBe(200);
      const cancelled = await response.json();
      expect(cancelled).toMatchObject({ id: order.id, status: "cancelled", refunds: [] });
      expect(Date.parse(cancelled.cancelled_at)).toBeGreaterThan(Date.now() - 60_000);
      const again = await cancel(order.id, customer.token);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual(cancelled);
      const payment = await createPayment(order.id, customer.token);
      expect(payment.status).toBe(409);
      expect((await payment.json()).detail).toContain("cancelled");
    });

    test("an admin may cancel any pending order; a paid one cannot be cancelled", async () => {
      const admin = await adminToken(stack.app, stack.store);
      const { customer, order } = await customerWithOrder(stack);
      expect((await (await cancel(order.id, admin)).json()).status).toBe("cancelled");
      const paid = await customerWithOrder(stack);
      const { session_id } = await (await createPayment(paid.order.id, paid.customer.token)).json();
      await pay(session_id);
      await waitFor(async () => (await stack.store.findOrder(paid.order.id))?.status === "paid", "paid");
      const refused = await cancel(paid.order.id, paid.customer.token);
      expect(refused.status).toBe(409);
      expect((await stack.store.findOrder(paid.order.id))?.status).toBe("paid");
      expect(customer.token).not.toBe(paid.customer.token);
    });

    test("cancelling expires the open Checkout Session at Stripe, so it can no longer take money", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const { session_id } = await (await createPayment(order.id, customer.token)).json();
      expect((await cancel(order.id, customer.token)).status).toBe(200);
      expect(stack.simulator.sessions.get(session_id)?.status).toBe("expired");
      expect((await pay(session_id)).status).toBe(409);
      expect((await stack.store.findOrder(order.id))?.status).toBe("cancelled");
    });

    test("a session paid just before the cancel: the order is fulfilled as paid and the cancel answers 409", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const { session_id } = await (await createPayment(order.id, customer.token)).json();
      await pay(session_id, false);
      const response = await cancel(order.id, customer.token);
      expect(response.status).toBe(409);
      expect((await stack.store.findOrder(order.id))?.status).toBe("paid");
    });

    test("money for a cancelled order, or a second payment of a paid one, is refunded in full once; the order stays as it was", async () => {
      // A payment that lands after the order was called off (the state a lost race leaves).
      const { customer, order } = await customerWithOrder(stack, { priceMinor: 1500, quantity: 1 });
      const { session_id } = await (await createPayment(order.id, customer.token)).json();
      expect(await stack.store.cancelOrder(order.id, new Date())).toBe(true);
      await pay(session_id);
      const intent = stack.simulator.sessions.get(session_id)?.payment_intent;
      await waitFor(async () => refundsAtStripe(intent).length === 1, "the unwanted payment refunded");
      expect(refundsAtStripe(intent)[0]).toMatchObject({ amount: 1500, reason: "duplicate" });
      // Redelivered: nothing is refunded twice.
      const session = stack.simulator.sessions.get(session_id);
      const redelivered = await signedWebhook(stack, stripeEvent("checkout.session.completed", session));
      expect(redelivered.status).toBe(200);
      expect(refundsAtStripe(intent)).toHaveLength(1);
      const shown = await (
        await request(stack.app, "GET", `/api/v1/orders/${order.id}/`, { token: customer.token })
      ).json();
      expect(shown).toMatchObject({ status: "cancelled", refunded_amount: "0.00" });
      expect(shown.refunds).toEqual([
        expect.objectContaining({
          amount: "15.00",
          reason: "duplicate",
          status: "succeeded",
          of_order_payment: false,
        }),
      ]);
      expect(stack.logs.some((line) => line.includes("refunding a payment the order cannot take"))).toBe(
        true,
      );

      // A second session of an already paid order, paid too.
      const paid = await customerWithOrder(stack, { priceMinor: 900, quantity: 1 });
      const first = await (await createPayment(paid.order.id, paid.customer.token)).json();
      await pay(first.session_id);
      await waitFor(async () => (await stack.store.findOrder(paid.order.id))?.status === "paid", "paid");
      const second = await createStripeClient(stack.config)?.checkout.sessions.create({
        mode: "payment",
        line_items: [
          { quantity: 1, price_data: { currency: "usd", unit_amount: 900, product_data: { name: "again" } } },
        ],
        metadata: { order_id: String(paid.order.id) },
        success_url: "http://shop.test/ok",
      });
      await pay(second?.id as string);
      const secondIntent = stack.simulator.sessions.get(second?.id as string)?.payment_intent;
      await waitFor(async () => refundsAtStripe(secondIntent).length === 1, "the second payment refunded");
      const after = await stack.store.findOrder(paid.order.id);
      expect(after).toMatchObject({ status: "paid", refundedMinor: 0 });
      expect(refundsAtStripe(after?.paymentIntentId)).toHaveLength(0);
    });

    test("cancel racing the customer's payment: each order ends cancelled and unpaid, or paid; money on a cancelled one goes back once", async () => {
      for (let round = 0; round < 8; round++) {
        const { customer, order } = await customerWithOrder(stack, { priceMinor: 700, quantity: 1 });
        const { session_id } = await (await createPayment(order.id, customer.token)).json();
        const [cancelled, paid] = await Promise.all([cancel(order.id, customer.token), pay(session_id)]);
        const intent = stack.simulator.sessions.get(session_id)?.payment_intent;
        const stored = await stack.store.findOrder(order.id);
        if (stored?.status === "paid") {
          expect(cancelled.status).toBe(409);
          expect(refundsAtStripe(intent)).toHaveLength(0);
        } else {
          expect({ round, status: stored?.status, cancel: cancelled.status }).toEqual({
            round,
            status: "cancelled",
            cancel: 200,
          });
          if (paid.status === 200) {
            await waitFor(async () => refundsAtStripe(intent).length === 1, "the late payment refunded");
          }
          expect(refundsAtStripe(intent).length).toBeLessThanOrEqual(1);
        }
      }
    }, 30_000);
  });
}
