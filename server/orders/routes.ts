import { createRoute, z } from "@hono/zod-openapi";
import type { Store } from "../../db/store.ts";
import { pageEnvelope, pageParams } from "../http/pagination.ts";
import { apiRouter } from "../http/router.ts";
import {
  IdParamSchema,
  jsonBody,
  jsonResponse,
  PageQuerySchema,
  pageOf,
  problemResponses,
} from "../http/schemas.ts";
import { OrderSchema, presentOrder } from "./presenter.ts";
import { getOwnOrder, MAX_QUANTITY, placeOrder } from "./service.ts";

const CreateOrderSchema = z
  .object({
    product_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).openapi({ example: 1 }),
    quantity: z
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(MAX_QUANTITY, `must be at most ${MAX_QUANTITY}`)
      .default(1)
      .openapi({ example: 2 }),
  })
  .openapi("CreateOrder");

const security = [{ bearerAuth: [] }];

const createOrder = createRoute({
  method: "post",
  path: "/orders",
  tags: ["Orders"],
  summary: "Create an order for one product; the amount is computed on the server",
  security,
  request: { body: jsonBody(CreateOrderSchema) },
  responses: { 201: jsonResponse(OrderSchema, "The new order"), ...problemResponses(400, 401, 415) },
});

const listOrders = createRoute({
  method: "get",
  path: "/orders",
  tags: ["Orders"],
  summary: "The caller's own orders, newest first",
  security,
  request: { query: PageQuerySchema },
  responses: {
    200: jsonResponse(pageOf(OrderSchema, "OrderPage"), "A page of orders"),
    ...problemResponses(400, 401),
  },
});

const getOrder = createRoute({
  method: "get",
  path: "/orders/{id}",
  tags: ["Orders"],
  summary: "One of the caller's orders",
  security,
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(OrderSchema, "The order"), ...problemResponses(400, 401, 404) },
});

export function orderRoutes(store: Store) {
  return apiRouter()
    .openapi(createOrder, async (c) => {
      const order = await placeOrder(store, c.var.user, c.req.valid("json"));
      return c.json(presentOrder(order), 201);
    })
    .openapi(listOrders, async (c) => {
      const params = pageParams(c.req.valid("query"));
      const page = await store.listOrdersForUser(c.var.user.id, params);
      return c.json(pageEnvelope("/api/v1/orders/", params, page, presentOrder), 200);
    })
    .openapi(getOrder, async (c) => {
      const order = await getOwnOrder(store, c.req.valid("param").id, c.var.user.id);
      return c.json(presentOrder(order), 200);
    });
}
