import { Hono } from "hono";
import { csvHeaders } from "../http/csv-response.ts";
import { productsCsv, productsReport, salesCsv, salesReport } from "../reports/service.ts";
import { csvRange, DashboardPage, loadDashboard } from "./dashboard.tsx";
import { type AdminDeps, type AdminEnv, page } from "./page.tsx";

/** The dashboard (`/admin`) and its CSV downloads. */
export function dashboardPages({ config, store }: AdminDeps) {
  const pages = new Hono<AdminEnv>({ strict: false });

  pages.get("/", async (c) => {
    const data = await loadDashboard(store, config, c.req.query());
    const refused = Object.keys(data.errors).length > 0;
    return page(c, "Dashboard", <DashboardPage data={data} />, refused ? 400 : 200);
  });

  pages.get("/reports/sales.csv", async (c) => {
    const { range, interval } = csvRange(c.req.query(), config.REPORT_TIMEZONE);
    const csv = salesCsv(await salesReport(store, config.CURRENCY, range, interval));
    return c.body(csv.body, 200, csvHeaders(csv.filename));
  });

  pages.get("/reports/products.csv", async (c) => {
    const { range } = csvRange(c.req.query(), config.REPORT_TIMEZONE);
    const csv = productsCsv(await productsReport(store, config.CURRENCY, range, 100));
    return c.body(csv.body, 200, csvHeaders(csv.filename));
  });

  return pages;
}
