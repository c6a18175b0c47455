import { Hono } from "hono";
import { csvHeaders } from "../http/csv-response.ts";
import { productsCsv, productsReport, salesCsv, salesReport } from "../reports/service.ts";
import { AppError } from "../shared/errors.ts";
import { csvRange, DashboardPage, loadDashboard } from "./dashboard.tsx";
import { type AdminDeps, type AdminEnv, page } from "./page.tsx";

/** The dashboard (`/admin`) and its CSV downloads. */
export function dashboardPages({ config, store }: AdminDeps) {
  const pages = new Hono<AdminEnv>({ strict: false });

  pages.get("/", async (c) => {
    try {
      return page(c, "Dashboard", <DashboardPage data={await loadDashboard(store, config, c.req.query())} />);
    } catch (error) {
      if (!(error instanceof AppError) || error.kind !== "invalid-input") throw error;
      const problems = Object.entries(error.details.fields ?? {}).map(
        ([field, messages]) => `${field} ${messages.join(", ")}`,
      );
      return page(
        c,
        "Dashboard",
        <>
          <p role="alert" class="error">
            The range cannot be shown: {problems.join("; ")}.
          </p>
          <p>
            <a href="/admin">Show the last 30 days</a>
          </p>
        </>,
        400,
      );
    }
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
