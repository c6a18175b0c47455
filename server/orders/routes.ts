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
import { getCustomerOrder, MAX_LINES, MAX_QUANTITY, placeOrder } from "./service.ts";

const ProductIdSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).openapi({ example: 1 });
const QuantitySchema = z
  .number()
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(MAX_QUANTITY, `must be at most ${MAX_QUANTITY}`)
  .openapi({ example: 2 });

const CreateOrderSchema = z
  .object({
    items: z
      .array(z.object({ product_id: ProductIdSchema, quantity: QuantitySchema.default(1) }))
      .min(1, "must hold at least one line")
      .max(MAX_LINES, `must hold at most ${MAX_LINES} lines`)
      .optional()
      .openapi({ description: `The basket: 1 to ${MAX_LINES} lines, a product at most once` }),
    product_id: ProductIdSchema.optional().openapi({
      description: "For old clients: a one-line order of this product (send `items` instead)",
    }),
    quantity: QuantitySchema.optional().openapi({
      description: "With `product_id`: its quantity (default 1)",
    }),
  })
  .superRefine((body, context) => {
    if (body.items && (body.product_id !== undefined || body.quantity !== undefined))
      context.addIssue({
        code: "custom",
        path: ["items"],
        message: "give the lines in items, or one product in product_id, not both",
      });
    if (!body.items && body.product_id === undefined)
      context.addIssue({ code: "custom", path: ["items"], message: "is required" });
    const seen = new Set<number>();
    body.items?.forEach((line, index) => {
      if (seen.has(line.product_id))
        context.addIssue({
          code: "custom",
          path: ["items", index, "product_id"],
          message: "is already in the basket; change that line's quantity instead",
        });
      seen.add(line.product_id);
    });
  })
  .openapi("CreateOrder");

const security = [{ bearerAuth: [] }];

const createOrder = createRoute({
  method: "post",
  path: "/orders",
  operationId: "createOrder",
  tags: ["Orders"],
  summary: "Create an order of a basket of products; every price and the amount are the server's",
  description:
    "The units of products with limited stock are held for the order until it is paid, cancelled or its " +
    "checkout lapses; a line that does not fit is a 409 whose `shortages` name each short product and how many are left.",
  security,
  request: { body: jsonBody(CreateOrderSchema) },
  responses: { 201: jsonResponse(OrderSchema, "The new order"), ...problemResponses(400, 401, 409, 415) },
});

const listOrders = createRoute({
  method: "get",
  path: "/orders",
  operationId: "listOwnOrders",
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
  operationId: "getOwnOrder",
  tags: ["Orders"],
  summary: "One of the caller's orders",
  security,
  request: { params: IdParamSchema },
  responses: { 200: jsonResponse(OrderSchema, "The order"), ...problemResponses(400, 401, 404) },
});

export function orderRoutes(store: Store) {
  return apiRouter()
    .openapi(createOrder, async (c) => {
      const body = c.req.valid("json");
      const order = body.items
        ? await placeOrder(store, c.var.user, body.items)
        : await placeOrder(
            store,
            c.var.user,
            [{ product_id: body.product_id as number, quantity: body.quantity ?? 1 }],
            () => "product_id",
          );
      return c.json(presentOrder(order), 201);
    })
    .openapi(listOrders, async (c) => {
      const params = pageParams(c.req.valid("query"));
      const page = await store.listOrdersForUser(c.var.user.id, params);
      return c.json(pageEnvelope("/api/v1/orders/", params, page, presentOrder), 200);
    })
    .openapi(getOrder, async (c) => {
      const order = await getCustomerOrder(store, c.req.valid("param").id, c.var.user.id);
      return c.json(presentOrder(order), 200);
    });
}
