import type { Pool } from "mysql2/promise";
import { openStore } from "../db/open-store.ts";
import { formatMinor } from "../server/shared/money.ts";

interface ReportSummary {
  total_orders: number;
  paid_orders: number;
  revenue_by_currency: Record<string, string>;
}

interface SalesTotals {
  totals: { orders: number; paid_orders: number; revenue: string; refunds: string; net: string };
}
interface TopProducts {
  results: { product: { id: number }; revenue: string }[];
}

const byCurrency = (entries: [string, string][]) =>
  Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));

/** Orders loaded in bulk by SQL pass by the store's rules: their rollups are made from them, as an operator would. */
export async function rebuildReportRollups(databaseUrl: string): Promise<void> {
  const store = await openStore(databaseUrl, { timeoutMs: 600_000 });
  try {
    await store.rebuildReportRollups();
  } finally {
    await store.close();
  }
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The reports' ranges (UTC): the last 365 days, the last 36 months by month, the last 90 days. */
export function reportPaths() {
  const today = Date.now() - (Date.now() % DAY_MS);
  const now = new Date(today);
  const monthsAgo = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 35, 1);
  return {
    year: `from=${isoDay(today - 364 * DAY_MS)}&to=${isoDay(today)}&interval=day&tz=UTC`,
    months: `from=${isoDay(monthsAgo)}&to=${isoDay(today)}&interval=month&tz=UTC`,
    quarter: `from=${isoDay(today - 89 * DAY_MS)}&to=${isoDay(today)}&tz=UTC&limit=10`,
    bounds: {
      year: [new Date(today - 364 * DAY_MS), new Date(today + DAY_MS)],
      quarter: [new Date(today - 89 * DAY_MS), new Date(today + DAY_MS)],
    },
  };
}

/**
 * The reports must be exact, not only fast: the summary, the sales and the products reports as the server answers
 * them at `api`, each compared with counts made directly in SQL over the bench's database.
 */
export function reportChecks({
  api,
  pool,
  log,
}: {
  api: string;
  pool: Pool;
  log: (message: string) => void;
}) {
  async function checkReportIsExact(headers: Record<string, string>, when: string): Promise<ReportSummary> {
    const report = (await (
      await fetch(`${api}/api/v1/reports/summary/`, { headers })
    ).json()) as ReportSummary;
    const [counted] = (await pool.query(
      "SELECT currency, COUNT(*) AS orders, SUM(status = 'paid') AS paid, " +
        "SUM(CASE WHEN status = 'paid' THEN amount_minor ELSE 0 END) AS revenue FROM orders GROUP BY currency",
    )) as unknown as [{ currency: string; orders: number; paid: number; revenue: number }[]];
    const expected = {
      total_orders: counted.reduce((sum, row) => sum + Number(row.orders), 0),
      paid_orders: counted.reduce((sum, row) => sum + Number(row.paid), 0),
      revenue_by_currency: byCurrency(
        counted.map((row) => [row.currency, formatMinor(Number(row.revenue), row.currency)]),
      ),
    };
    const actual = {
      total_orders: report.total_orders,
      paid_orders: report.paid_orders,
      revenue_by_currency: byCurrency(Object.entries(report.revenue_by_currency)),
    };
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      throw new Error(`report ${when} is ${JSON.stringify(actual)}, SQL counts ${JSON.stringify(expected)}`);
    }
    log(`report ${when} equals SQL: ${report.total_orders} orders, ${report.paid_orders} paid`);
    return report;
  }

  /** The sales and products reports must equal counts made directly in SQL over `orders`. */
  async function checkTimeReportsAreExact(headers: Record<string, string>, when: string): Promise<void> {
    const paths = reportPaths();
    const sales = (await (
      await fetch(`${api}/api/v1/reports/sales/?${paths.year}`, { headers })
    ).json()) as SalesTotals;
    const [yearFrom, yearTo] = paths.bounds.year as [Date, Date];
    const [[created]] = (await pool.query(
      "SELECT COUNT(*) AS orders FROM orders WHERE created_at >= ? AND created_at < ?",
      [yearFrom, yearTo],
    )) as unknown as [[{ orders: number }]];
    const [[paid]] = (await pool.query(
      "SELECT COUNT(*) AS paid, COALESCE(SUM(amount_minor), 0) AS revenue FROM orders WHERE paid_at >= ? AND paid_at < ? AND currency = 'usd'",
      [yearFrom, yearTo],
    )) as unknown as [[{ paid: number; revenue: number }]];
    const [[refunded]] = (await pool.query(
      "SELECT COALESCE(SUM(amount_minor), 0) AS refunds FROM refunds WHERE created_at >= ? AND created_at < ? AND currency = 'usd' AND status = 'succeeded' AND applies_to_order",
      [yearFrom, yearTo],
    )) as unknown as [[{ refunds: number }]];
    const expectedSales = {
      orders: Number(created.orders),
      paid_orders: Number(paid.paid),
      revenue: formatMinor(Number(paid.revenue), "usd"),
      refunds: formatMinor(Number(refunded.refunds), "usd"),
      net: formatMinor(Number(paid.revenue) - Number(refunded.refunds), "usd"),
    };
    if (JSON.stringify(sales.totals) !== JSON.stringify(expectedSales)) {
      throw new Error(
        `sales report ${when} is ${JSON.stringify(sales.totals)}, SQL counts ${JSON.stringify(expectedSales)}`,
      );
    }
    const top = (await (
      await fetch(`${api}/api/v1/reports/products/?${paths.quarter}`, { headers })
    ).json()) as TopProducts;
    const [quarterFrom, quarterTo] = paths.bounds.quarter as [Date, Date];
    const [ranked] = (await pool.query(
      "SELECT product_id AS id, SUM(amount_minor) AS revenue FROM orders WHERE paid_at >= ? AND paid_at < ? AND currency = 'usd' GROUP BY product_id ORDER BY revenue DESC, product_id LIMIT 10",
      [quarterFrom, quarterTo],
    )) as unknown as [{ id: number; revenue: number }[]];
    const actualTop = top.results.map((row) => `${row.product.id}:${row.revenue}`).join(",");
    const expectedTop = ranked.map((row) => `${row.id}:${formatMinor(Number(row.revenue), "usd")}`).join(",");
    if (actualTop !== expectedTop)
      throw new Error(`products report ${when} is ${actualTop}, SQL ranks ${expectedTop}`);
    log(
      `sales and products reports ${when} equal SQL: ${expectedSales.orders} orders in the year, top product ${expectedTop.split(",")[0]}`,
    );
  }

  return { checkReportIsExact, checkTimeReportsAreExact };
}
