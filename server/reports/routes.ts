import { createRoute, z } from "@hono/zod-openapi";
import type { Store } from "../../db/store.ts";
import { apiRouter } from "../http/router.ts";
import { jsonResponse, problemResponses } from "../http/schemas.ts";
import { reportSummary } from "./service.ts";

const SummarySchema = z
  .object({
    total_orders: z.number().int(),
    total_revenue: z.string().openapi({ example: "123.45", description: "Paid orders in `currency`" }),
    paid_orders: z.number().int(),
    pending_orders: z.number().int(),
    currency: z.string().openapi({ example: "usd" }),
    revenue_by_currency: z
      .record(z.string(), z.string())
      .openapi({ description: "Paid revenue per currency, for shops that sell in several" }),
  })
  .openapi("Summary");

const summary = createRoute({
  method: "get",
  path: "/summary",
  tags: ["Reports"],
  summary: "ERP-style summary of all orders",
  security: [{ bearerAuth: [] }],
  responses: { 200: jsonResponse(SummarySchema, "Totals over all orders"), ...problemResponses(401) },
});

export function reportRoutes(store: Store, currency: string) {
  return apiRouter().openapi(summary, async (c) => c.json(await reportSummary(store, currency), 200));
}
