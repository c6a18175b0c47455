import { expect, test } from "bun:test";
import { usePaymentStack } from "../../tests/payment-stacks.ts";
import { registerCustomer, request, storeTargets } from "../../tests/support.ts";
import { HoldReleaser } from "./hold-release.ts";

for (const target of storeTargets()) {
  target.describe(`stock on ${target.name}`, () => {
    const stack = usePaymentStack(target, { CATALOG_CHECK_MS: "0" });

    const stocked = (stock: number | null, priceMinor = 1500) =>
      stack.store.createProduct({
        name: `Stocked ${crypto.randomUUID().slice(0, 8)}`,
        description: "",
        priceMinor,
        currency: "usd",
        stock,
      });
    const order = (token: string, items: { product_id: number; quantity: number }[]) =>
      request(stack.app, "POST", "/api/v1/orders/", { token, body: { items } });
    const stockOf = async (productId: number) => {
      const product = await stack.store.findProduct(productId);
      return { stock: product?.stock, reserved: product?.stockReserved };
    };
    const listed = async (productId: number) => {
      const { count } = await (await request(stack.app, "GET", "/api/v1/products/?page_size=1")).json();
      const last = await request(
        stack.app,
        "GET",
        `/api/v1/products/?page_size=100&page=${Math.ceil(count / 100)}`,
      );
      return (
        (await last.json()).results as { id: number; availability: string; left: number | null }[]
      ).find((product) => product.id === productId);
    };
    const checkout = async (orderId: number, token: string) => {
      const response = await request(stack.app, "POST", `/api/v1/orders/${orderId}/create-payment/`, {
        token,
      });
      return { status: response.status, body: await response.json() };
    };
    const payOnSimulator = (sessionId: string) =>
      fetch(`${stack.simulatorUrl}/__simulator/sessions/${sessionId}/pay?webhook=false`, { method: "POST" });
    const confirm = (orderId: number, token: string, sessionId: string) =>
      request(stack.app, "POST", `/api/v1/orders/${orderId}/confirm-payment/`, {
        token,
        body: { session_id: sessionId },
      });

    test("the products list says In stock, Only N left or Sold out, and a sold-out product cannot be ordered", async () => {
      const plenty = await stocked(50);
      const few = await stocked(3);
      const none = await stocked(0);
      const unlimited = await stocked(null);
      expect(await listed(plenty.id)).toMatchObject({ availability: "in_stock", left: null });
      expect(await listed(few.id)).toMatchObject({ availability: "low", left: 3 });
      expect(await listed(none.id)).toMatchObject({ availability: "sold_out", left: 0 });
      expect(await listed(unlimited.id)).toMatchObject({ availability: "in_stock", left: null });
      const customer = await registerCustomer(stack.app);
      const refused = await order(customer.token, [{ product_id: none.id, quantity: 1 }]);
      expect(refused.status).toBe(409);
      const problem = await refused.json();
      expect(problem.shortages).toEqual([{ product_id: none.id, name: none.name, left: 0 }]);
      expect(problem.detail).toContain(`${none.name}: sold out.`);
    });

    test("a basket that does not fit holds nothing: the 409 names every short line and how many are left", async () => {
      const kettle = await stocked(2);
      const mugs = await stocked(1);
      const beans = await stocked(40);
      const customer = await registerCustomer(stack.app);
      const refused = await order(customer.token, [
        { product_id: beans.id, quantity: 5 },
        { product_id: kettle.id, quantity: 3 },
        { product_id: mugs.id, quantity: 2 },
      ]);
      expect(refused.status).toBe(409);
      expect((await refused.json()).shortages).toEqual([
        { product_id: kettle.id, name: kettle.name, left: 2 },
        { product_id: mugs.id, name: mugs.name, left: 1 },
      ]);
      for (const product of [kettle, mugs, beans])
        expect(await stockOf(product.id)).toEqual({ stock: product.stock, reserved: 0 });
      const placed = await order(customer.token, [
        { product_id: kettle.id, quantity: 2 },
        { product_id: beans.id, quantity: 5 },
      ]);
      expect(placed.status).toBe(201);
      expect(await stockOf(kettle.id)).toEqual({ stock: 2, reserved: 2 });
      expect(await stockOf(beans.id)).toEqual({ stock: 40, reserved: 5 });
      expect(await listed(kettle.id)).toMatchObject({ availability: "sold_out", left: 0 });
    });

    test("customers racing for the last 10 units: exactly 10 orders; cancelling one frees a unit the next customer gets", async () => {
      const last = await stocked(10);
      const customers = await Promise.all(Array.from({ length: 20 }, () => registerCustomer(stack.app)));
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, attempt) =>
          order((customers[attempt % 20] as { token: string }).token, [{ product_id: last.id, quantity: 1 }]),
        ),
      );
      const statuses = answers.map((answer) => answer.status);
      expect(statuses.filter((status) => status === 201)).toHaveLength(10);
      expect(statuses.filter((status) => status === 409)).toHaveLength(190);
      expect(await stockOf(last.id)).toEqual({ stock: 10, reserved: 10 });

      const winner = answers.findIndex((answer) => answer.status === 201);
      const won = await (answers[winner] as Response).json();
      const owner = customers[winner % 20] as { token: string };
      const cancelled = await request(stack.app, "POST", `/api/v1/orders/${won.id}/cancel/`, {
        token: owner.token,
      });
      expect(cancelled.status).toBe(200);
      expect(await stockOf(last.id)).toEqual({ stock: 10, reserved: 9 });
      const next = await registerCustomer(stack.app);
      expect((await order(next.token, [{ product_id: last.id, quantity: 1 }])).status).toBe(201);
      expect((await order(next.token, [{ product_id: last.id, quantity: 1 }])).status).toBe(409);
      expect(await stockOf(last.id)).toEqual({ stock: 10, reserved: 10 });
    }, 60_000);

    test("paying makes the hold a sale; an expired checkout session frees its units", async () => {
      const product = await stocked(5);
      const buyer = await registerCustomer(stack.app);
      const paid = await (await order(buyer.token, [{ product_id: product.id, quantity: 2 }])).json();
      const lapsing = await (await order(buyer.token, [{ product_id: product.id, quantity: 3 }])).json();
      expect(await stockOf(product.id)).toEqual({ stock: 5, reserved: 5 });

      const session = (await checkout(paid.id, buyer.token)).body.session_id;
      await payOnSimulator(session);
      expect((await confirm(paid.id, buyer.token, session)).status).toBe(200);
      expect(await stockOf(product.id)).toEqual({ stock: 3, reserved: 3 });

      const expiring = (await checkout(lapsing.id, buyer.token)).body.session_id;
      await fetch(`${stack.simulatorUrl}/__simulator/sessions/${expiring}/age`, { method: "POST" });
      expect((await confirm(lapsing.id, buyer.token, expiring)).status).toBe(409);
      expect(await stockOf(product.id)).toEqual({ stock: 3, reserved: 0 });

      // A new checkout of the same order holds its units again, while they are there; the old session's expiry,
      // told again later (its webhook), no longer applies.
      const again = await checkout(lapsing.id, buyer.token);
      expect(again.status).toBe(201);
      expect(await stockOf(product.id)).toEqual({ stock: 3, reserved: 3 });
      expect(await stack.store.recordPaymentStatus(lapsing.id, expiring, "expired")).toBe(false);
      expect(await stockOf(product.id)).toEqual({ stock: 3, reserved: 3 });
      await payOnSimulator(again.body.session_id);
      expect((await confirm(lapsing.id, buyer.token, again.body.session_id)).status).toBe(200);
      expect(await stockOf(product.id)).toEqual({ stock: 0, reserved: 0 });
      expect(await listed(product.id)).toMatchObject({ availability: "sold_out" });
    });

    test("a new checkout after the units were released and sold elsewhere is a 409 naming them, and opens no session", async () => {
      const product = await stocked(2);
      const slow = await registerCustomer(stack.app);
      const slowOrder = await (await order(slow.token, [{ product_id: product.id, quantity: 2 }])).json();
      const first = (await checkout(slowOrder.id, slow.token)).body.session_id;
      await fetch(`${stack.simulatorUrl}/__simulator/sessions/${first}/age`, { method: "POST" });
      expect((await confirm(slowOrder.id, slow.token, first)).status).toBe(409);
      const quick = await registerCustomer(stack.app);
      expect((await order(quick.token, [{ product_id: product.id, quantity: 1 }])).status).toBe(201);
      const refused = await checkout(slowOrder.id, slow.token);
      expect(refused.status).toBe(409);
      expect(refused.body.shortages).toEqual([{ product_id: product.id, name: product.name, left: 1 }]);
      expect(refused.body.detail).toContain(`${product.name}: only 1 left.`);
      const opened = [...stack.simulator.sessions.values()].filter(
        (session) => session.metadata?.order_id === String(slowOrder.id) && session.status === "open",
      );
      expect(opened).toEqual([]);
      expect(await stockOf(product.id)).toEqual({ stock: 2, reserved: 1 });
    });

    test("an order abandoned without a checkout gives its units back after CHECKOUT_SESSION_TTL_MINUTES", async () => {
      // A session's expiry is rounded up to the minute: made in a minute's first second, it would lapse with the
      // abandoned order, within the same second, and leave no moment when one has lapsed and the other not.
      while (Math.floor(Date.now() / 1000) % 60 === 0) await Bun.sleep(50);
      const product = await stocked(4);
      const buyer = await registerCustomer(stack.app);
      const abandoned = await (await order(buyer.token, [{ product_id: product.id, quantity: 4 }])).json();
      const withSession = await stocked(4);
      const open = await (await order(buyer.token, [{ product_id: withSession.id, quantity: 1 }])).json();
      const sessionLapses = new Date((await checkout(open.id, buyer.token)).body.expires_at);
      const ttlMs = stack.config.CHECKOUT_SESSION_TTL_MINUTES * 60_000;
      const now = new Date();
      // Not yet lapsed: nothing is released.
      await stack.store.releaseLapsedHolds(now, new Date(now.getTime() - ttlMs), 1000);
      expect(await stockOf(product.id)).toEqual({ stock: 4, reserved: 4 });
      // Later than the TTL: the order without a session lapses; the one whose session is still open does not.
      const later = new Date(sessionLapses.getTime() - 1);
      expect(
        await stack.store.releaseLapsedHolds(later, new Date(later.getTime() - ttlMs), 1000),
      ).toBeGreaterThanOrEqual(1);
      expect(await stockOf(product.id)).toEqual({ stock: 4, reserved: 0 });
      expect(await stockOf(withSession.id)).toEqual({ stock: 4, reserved: 1 });
      expect((await stack.store.findOrder(abandoned.id))?.status).toBe("pending");
      await stack.store.releaseLapsedHolds(
        new Date(sessionLapses.getTime() + 1),
        new Date(sessionLapses.getTime() + 1 - ttlMs),
        1000,
      );
      expect(await stockOf(withSession.id)).toEqual({ stock: 4, reserved: 0 });
    });

    test("the hold releaser's pass is what runs every minute: it logs how many orders gave their units back", async () => {
      const product = await stocked(2);
      const buyer = await registerCustomer(stack.app);
      await order(buyer.token, [{ product_id: product.id, quantity: 2 }]);
      const logged: Record<string, unknown>[] = [];
      const releaser = new HoldReleaser(stack.store, stack.config, (fields) => logged.push(fields));
      expect(await releaser.releaseOnce()).toBe(0);
      const later = new Date(Date.now() + stack.config.CHECKOUT_SESSION_TTL_MINUTES * 60_000 + 1000);
      expect(await releaser.releaseOnce(later)).toBeGreaterThanOrEqual(1);
      expect(await stockOf(product.id)).toEqual({ stock: 2, reserved: 0 });
      expect(logged).toContainEqual(expect.objectContaining({ msg: "stock released from lapsed orders" }));
    });

    test("a payment after the hold was released takes the stock if it is there, else the order is cancelled and refunded", async () => {
      const product = await stocked(1);
      const late = await registerCustomer(stack.app);
      const first = await (await order(late.token, [{ product_id: product.id, quantity: 1 }])).json();
      const session = (await checkout(first.id, late.token)).body.session_id;
      // The expiry of the session is recorded before its payment arrives (events out of order): units released.
      await stack.store.recordPaymentStatus(first.id, session, "expired");
      expect(await stockOf(product.id)).toEqual({ stock: 1, reserved: 0 });
      await payOnSimulator(session);
      expect((await confirm(first.id, late.token, session)).status).toBe(200);
      expect(await stockOf(product.id)).toEqual({ stock: 0, reserved: 0 });

      const scarce = await stocked(1);
      const slow = await registerCustomer(stack.app);
      const quick = await registerCustomer(stack.app);
      const slowOrder = await (await order(slow.token, [{ product_id: scarce.id, quantity: 1 }])).json();
      const slowSession = (await checkout(slowOrder.id, slow.token)).body.session_id;
      await stack.store.recordPaymentStatus(slowOrder.id, slowSession, "expired");
      const quickOrder = await order(quick.token, [{ product_id: scarce.id, quantity: 1 }]);
      expect(quickOrder.status).toBe(201);
      await payOnSimulator(slowSession);
      const refused = await confirm(slowOrder.id, slow.token, slowSession);
      expect(refused.status).toBe(409);
      const problem = await refused.json();
      expect(problem.detail).toContain(`Sold out before the payment arrived: ${scarce.name}: sold out.`);
      expect(problem.cancellation_reason).toBe("sold_out");
      const seen = await (
        await request(stack.app, "GET", `/api/v1/orders/${slowOrder.id}/`, { token: slow.token })
      ).json();
      expect(seen).toMatchObject({ status: "cancelled", cancellation_reason: "sold_out" });
      expect(seen.refunds).toEqual([
        expect.objectContaining({ amount: "15.00", status: "succeeded", of_order_payment: false }),
      ]);
      expect(await stockOf(scarce.id)).toEqual({ stock: 1, reserved: 1 });
    });
  });
}
