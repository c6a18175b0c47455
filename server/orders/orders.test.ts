import { expect, test } from "bun:test";
import {
  apiClient,
  customerWithOrder,
  registerCustomer,
  request,
  storeTargets,
  useApp,
} from "../../tests/support.ts";

for (const target of storeTargets()) {
  target.describe(`orders on ${target.name}`, () => {
    const stack = useApp(target);
    const product = (priceMinor = 1999, active = true) =>
      stack.store.createProduct({
        name: `Order test ${crypto.randomUUID().slice(0, 6)}`,
        description: "",
        priceMinor,
        currency: "usd",
        active,
      });
    const create = (token: string, body: unknown) =>
      request(stack.app, "POST", "/api/v1/orders/", { token, body });

    test("POST /orders/ computes the amount on the server and ignores client-sent price, amount, status and user", async () => {
      const customer = await registerCustomer(stack.app);
      const other = await registerCustomer(stack.app);
      const item = await product(1999);
      const response = await create(customer.token, {
        product_id: item.id,
        quantity: 2,
        price: "0.01",
        amount: "0.01",
        amount_minor: 1,
        status: "paid",
        user_id: other.userId,
      });
      expect(response.status).toBe(201);
      const order = await response.json();
      expect(order).toEqual({
        id: expect.any(Number),
        status: "pending",
        items: [
          {
            product: { id: item.id, name: item.name, price: "19.99", currency: "usd", image: null },
            quantity: 2,
            unit_price: "19.99",
            amount: "39.98",
          },
        ],
        product: { id: item.id, name: item.name, price: "19.99", currency: "usd" },
        quantity: 2,
        amount: "39.98",
        currency: "usd",
        crm_sync_status: "pending",
        created_at: expect.stringMatching(/Z$/),
        paid_at: null,
        refunded_amount: "0.00",
        cancelled_at: null,
        cancellation_reason: null,
        refunds: [],
        payment: { provider: null, session_id: null, status: "unpaid", expires_at: null, paid_at: null },
      });
      expect((await stack.store.findOrder(order.id))?.userId).toBe(customer.userId);
    });

    test("quantity defaults to 1", async () => {
      const customer = await registerCustomer(stack.app);
      const response = await create(customer.token, { product_id: (await product(250)).id });
      expect(response.status).toBe(201);
      expect(await response.json()).toMatchObject({ quantity: 1, amount: "2.50" });
    });

    test("an unknown or inactive product is a 400 naming product_id", async () => {
      const customer = await registerCustomer(stack.app);
      for (const productId of [999_999_999, (await product(100, false)).id]) {
        const response = await create(customer.token, { product_id: productId, quantity: 1 });
        expect(response.status).toBe(400);
        expect(Object.keys((await response.json()).errors)).toEqual(["product_id"]);
      }
    });

    for (const quantity of [0, -1, 1.5, 101, "2", null, 1e20]) {
      test(`quantity ${JSON.stringify(quantity)} is a 400`, async () => {
        const customer = await registerCustomer(stack.app);
        const response = await create(customer.token, { product_id: (await product()).id, quantity });
        expect(response.status).toBe(400);
        expect(Object.keys((await response.json()).errors)).toContain("quantity");
      });
    }

    test("a missing or non-numeric product_id is a 400", async () => {
      const customer = await registerCustomer(stack.app);
      expect((await create(customer.token, { quantity: 1 })).status).toBe(400);
      expect((await create(customer.token, { product_id: "1", quantity: 1 })).status).toBe(400);
    });

    test("anonymous callers get 401 on every order endpoint", async () => {
      expect((await request(stack.app, "POST", "/api/v1/orders/", { body: { product_id: 1 } })).status).toBe(
        401,
      );
      expect((await request(stack.app, "GET", "/api/v1/orders/")).status).toBe(401);
      expect((await request(stack.app, "GET", "/api/v1/orders/1/")).status).toBe(401);
    });

    test("GET /orders/ lists only the caller's orders, newest first, paginated", async () => {
      const { customer, product: item } = await customerWithOrder(stack);
      for (let index = 0; index < 2; index++)
        await create(customer.token, { product_id: item.id, quantity: index + 1 });
      await customerWithOrder(stack);
      const orders = apiClient(stack.app, { token: customer.token }).orders;
      const page = await (await orders.$get({ query: { page_size: "2" } })).json();
      expect(page.count).toBe(3);
      expect(page.results.map((order) => order.quantity)).toEqual([2, 1]);
      expect(page.next).toBe("/api/v1/orders/?page=2&page_size=2");
      const rest = await (await orders.$get({ query: { page: "2", page_size: "2" } })).json();
      expect(rest.results.map((order) => order.quantity)).toEqual([2]);
    });

    test("GET /orders/{id}/ returns the caller's order, with and without the trailing slash", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const typed = await apiClient(stack.app, { token: customer.token }).orders[":id"].$get({
        param: { id: String(order.id) },
      });
      expect(typed.status).toBe(200);
      expect(await typed.json()).toEqual(order);
      for (const path of [`/api/v1/orders/${order.id}/`, `/api/v1/orders/${order.id}`]) {
        const response = await request(stack.app, "GET", path, { token: customer.token });
        expect(response.status).toBe(200);
        expect((await response.json()).id).toBe(order.id);
      }
    });

    test("another customer's order is a 404, never a 403", async () => {
      const { order } = await customerWithOrder(stack);
      const stranger = await registerCustomer(stack.app);
      const response = await request(stack.app, "GET", `/api/v1/orders/${order.id}/`, {
        token: stranger.token,
      });
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    });

    for (const id of ["abc", "0", "-1", "1.5", "99999999999999999999"]) {
      test(`order id ${id} is a 400`, async () => {
        const customer = await registerCustomer(stack.app);
        const response = await request(stack.app, "GET", `/api/v1/orders/${id}/`, { token: customer.token });
        expect(response.status).toBe(400);
        expect(Object.keys((await response.json()).errors)).toEqual(["id"]);
      });
    }
  });
}
