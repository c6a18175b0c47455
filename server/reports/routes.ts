import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { Store } from "../../db/store.ts";
import { requireRole } from "../auth/middleware.ts";
import { csvHeaders, wantsCsv } from "../http/csv-response.ts";
import { apiRouter } from "../http/router.ts";
import { jsonResponse, problemResponses } from "../http/schemas.ts";
import { isKnownCurrency } from "../shared/money.ts";
import { productsCsv, productsReport, reportRange, reportSummary, salesCsv, salesReport } from "./service.ts";

const money = (description: string) => z.string().openapi({ example: "123.45", description });
const byCurrency = z
  .record(z.string(), z.string())
  .optional()
  .openapi({ description: "Revenue per currency, present when the shop has orders in several" });

const SummarySchema = z
  .object({
    total_orders: z.number().int(),
    total_revenue: money("Net: paid orders in `currency` minus what was refunded of them"),
    gross_revenue: money("Paid orders in `currency`, before refunds"),
    refunded_revenue: money("Refunded of the paid orders in `currency`"),
    paid_orders: z.number().int().openapi({ description: "Orders whose payment was taken, refunded or not" }),
    pending_orders: z.number().int(),
    cancelled_orders: z.number().int(),
    currency: z.string().openapi({ example: "usd" }),
    revenue_by_currency: z
      .record(z.string(), z.string())
      .openapi({ description: "Net revenue per currency, for shops that sell in several" }),
    scope: z.enum(["customer", "shop"]).openapi({
      description: "`customer`: the caller's own orders; `shop`: every order (admins only)",
    }),
  })
  .openapi("Summary");

const queryParam = (name: string, example: string, description: string) =>
  ({ param: { name, in: "query" as const, description }, example }) as const;

const RangeQuerySchema = z.object({
  from: z
    .string()
    .optional()
    .openapi(queryParam("from", "2026-11-01", "First local date, YYYY-MM-DD (default: 29 days before `to`)")),
  to: z
    .string()
    .optional()
    .openapi(queryParam("to", "2026-11-30", "Last local date (default: today in `tz`)")),
  tz: z
    .string()
    .optional()
    .openapi(queryParam("tz", "Europe/Berlin", "IANA time zone of the dates (default: REPORT_TIMEZONE)")),
  format: z
    .enum(["json", "csv"], { message: "must be json or csv" })
    .optional()
    .openapi(queryParam("format", "csv", "`csv` for a spreadsheet; also `Accept: text/csv`")),
});

const FiguresSchema = z.object({
  orders: z.number().int().openapi({ description: "Orders created in the bucket" }),
  paid_orders: z.number().int().openapi({ description: "Orders paid in the bucket" }),
  revenue: money("Revenue of the orders paid in the bucket, in `currency`"),
  refunds: money("Refunds of orders' payments made in the bucket, in `currency`"),
  net: money("revenue minus refunds"),
  revenue_by_currency: byCurrency,
  refunds_by_currency: byCurrency,
  net_by_currency: byCurrency,
});

const SalesSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    interval: z.enum(["day", "week", "month"]),
    tz: z.string(),
    currency: z.string(),
    buckets: z.array(
      FiguresSchema.extend({
        start: z.string().openapi({ description: "Local date the bucket starts on (weeks start on Monday)" }),
      }),
    ),
    totals: FiguresSchema,
  })
  .openapi("SalesReport");

const ProductsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    tz: z.string(),
    currency: z.string(),
    refunds: money(
      "Refunds made in the range, in `currency`: refunds are of orders, not of lines, so they are shown " +
        "apart and each product's revenue is gross",
    ),
    results: z.array(
      z.object({
        product: z.object({ id: z.number().int(), name: z.string() }),
        paid_orders: z.number().int(),
        quantity: z.number().int(),
        revenue: money("Gross revenue of the product's paid lines in `currency`, refunds not taken off"),
      }),
    ),
  })
  .openapi("ProductsReport");

const csvContent = { "text/csv": { schema: z.string() } };
const security = [{ bearerAuth: [] }];

const summary = createRoute({
  method: "get",
  path: "/summary",
  operationId: "getReportSummary",
  tags: ["Reports"],
  summary: "ERP-style summary: a customer's own orders, or the whole shop's for an admin",
  security,
  responses: { 200: jsonResponse(SummarySchema, "Totals"), ...problemResponses(401) },
});

const sales = createRoute({
  method: "get",
  path: "/sales",
  operationId: "getSalesReport",
  tags: ["Reports"],
  summary: "Orders, paid orders and revenue per day, week or month in a time zone (admins)",
  security,
  request: {
    query: RangeQuerySchema.extend({
      interval: z
        .enum(["day", "week", "month"], { message: "must be day, week or month" })
        .default("day")
        .openapi(queryParam("interval", "day", "Bucket size")),
    }),
  },
  responses: {
    200: {
      description: "Every bucket of the range, zeros included",
      content: { "application/json": { schema: SalesSchema }, ...csvContent },
    },
    ...problemResponses(400, 401, 403),
  },
});

const products = createRoute({
  method: "get",
  path: "/products",
  operationId: "getProductsReport",
  tags: ["Reports"],
  summary: "Top products by paid revenue in a range (admins)",
  security,
  request: {
    query: RangeQuerySchema.extend({
      limit: z
        .string()
        .regex(/^\d{1,3}$/, "must be a whole number from 1 to 100")
        .transform(Number)
        .pipe(z.number().int().min(1, "must be 1 or more").max(100, "must be at most 100"))
        .default(10)
        .openapi(queryParam("limit", "10", "How many products, 1–100")),
      currency: z
        .string()
        .refine(isKnownCurrency, "must be an ISO 4217 code such as usd")
        .transform((code) => code.toLowerCase())
        .optional()
        .openapi(queryParam("currency", "usd", "Revenue in this currency (default: the shop's)")),
    }),
  },
  responses: {
    200: {
      description: "Products, highest revenue first, ties by id",
      content: { "application/json": { schema: ProductsSchema }, ...csvContent },
    },
    ...problemResponses(400, 401, 403),
  },
});

export function reportRoutes(store: Store, config: { CURRENCY: string; REPORT_TIMEZONE: string }) {
  const admins: MiddlewareHandler = requireRole("admin", "Reports over time are for admins.");
  const router = apiRouter();
  router.use("/sales", admins);
  router.use("/products", admins);
  return router
    .openapi(summary, async (c) => {
      const user = c.var.user;
      return c.json(await reportSummary(store, config.CURRENCY, { userId: user.id, role: user.role }), 200);
    })
    .openapi(sales, async (c) => {
      const query = c.req.valid("query");
      const range = reportRange(query, config.REPORT_TIMEZONE);
      const report = await salesReport(store, config.CURRENCY, range, query.interval);
      if (!wantsCsv(query.format, c.req.header("Accept"))) return c.json(report, 200);
      const csv = salesCsv(report);
      return c.body(csv.body, 200, csvHeaders(csv.filename));
    })
    .openapi(products, async (c) => {
      const query = c.req.valid("query");
      const range = reportRange(query, config.REPORT_TIMEZONE);
      const report = await productsReport(store, query.currency ?? config.CURRENCY, range, query.limit);
      if (!wantsCsv(query.format, c.req.header("Accept"))) return c.json(report, 200);
      const csv = productsCsv(report);
      return c.body(csv.body, 200, csvHeaders(csv.filename));
    });
}
