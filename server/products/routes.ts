import { createRoute } from "@hono/zod-openapi";
import type { Store } from "../../db/store.ts";
import { pageEnvelope, pageParams } from "../http/pagination.ts";
import { apiRouter } from "../http/router.ts";
import { PageQuerySchema, pageOf, problemResponses } from "../http/schemas.ts";
import { ProductSchema, presentProduct } from "./presenter.ts";

const listProducts = createRoute({
  method: "get",
  path: "/products",
  tags: ["Products"],
  summary: "List active products, paginated",
  request: { query: PageQuerySchema },
  responses: {
    200: {
      description: "A page of products",
      content: { "application/json": { schema: pageOf(ProductSchema, "ProductPage") } },
    },
    ...problemResponses(400),
  },
});

export function productRoutes(store: Store) {
  return apiRouter().openapi(listProducts, async (c) => {
    const params = pageParams(c.req.valid("query"));
    const page = await store.listActiveProducts(params);
    return c.json(pageEnvelope("/api/v1/products/", params, page, presentProduct), 200);
  });
}
