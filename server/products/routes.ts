import { createRoute, type z } from "@hono/zod-openapi";
import type { TypedResponse } from "hono";
import { pageParams } from "../http/pagination.ts";
import { apiRouter } from "../http/router.ts";
import { PageQuerySchema, pageOf, problemResponses } from "../http/schemas.ts";
import { CATALOG_CACHE_CONTROL, type Catalog, stillFresh } from "./catalog.ts";
import { ProductSchema } from "./presenter.ts";

const ProductPageSchema = pageOf(ProductSchema, "ProductPage");

/** The page is serialized once for every caller; typed clients still see the schema's shape. */
type ProductPageResponse = Response & TypedResponse<z.infer<typeof ProductPageSchema>, 200, "json">;

const listProducts = createRoute({
  method: "get",
  path: "/products",
  operationId: "listProducts",
  // Public: no token needed.
  security: [],
  tags: ["Products"],
  summary: "List active products, paginated",
  description:
    "Answered from memory while the catalog is unchanged; a change shows within a second on every server. " +
    "Send the page's ETag as If-None-Match to get 304 when it is still current.",
  request: { query: PageQuerySchema },
  responses: {
    200: {
      description: "A page of products",
      content: { "application/json": { schema: ProductPageSchema } },
    },
    304: { description: "The page named by If-None-Match is still current" },
    ...problemResponses(400),
  },
});

export function productRoutes(catalog: Catalog) {
  return apiRouter().openapi(listProducts, async (c) => {
    const page = await catalog.page(pageParams(c.req.valid("query")));
    c.header("ETag", page.etag);
    c.header("Cache-Control", CATALOG_CACHE_CONTROL);
    if (stillFresh(c.req.header("If-None-Match"), page.etag)) return c.body(null, 304);
    return c.body(page.json, 200, { "Content-Type": "application/json" }) as unknown as ProductPageResponse;
  });
}
