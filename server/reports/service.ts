import type { LocalDaySales, OrderSummary, Store } from "../../db/store.ts";
import { csvTable } from "../shared/csv.ts";
import { AppError } from "../shared/errors.ts";
import { formatMinor } from "../shared/money.ts";
import {
  bucketStart,
  type DayNumber,
  formatDate,
  type Interval,
  isTimeZone,
  nextBucketStart,
  offsetSegments,
  parseDate,
  startOfLocalDay,
  todayIn,
} from "./calendar.ts";

/** The longest range a report covers: three years of days. */
export const MAX_REPORT_DAYS = 3 * 366;
const DEFAULT_DAYS = 30;
const LAST_DAY = parseDate("9999-12-30") as DayNumber;

export interface ReportScope {
  userId: number;
  role: "customer" | "admin";
}

/** The ERP-style summary: the shop's for an admin, the customer's own orders for anyone else. */
export async function reportSummary(store: Store, currency: string, scope?: ReportScope) {
  const mine = scope !== undefined && scope.role !== "admin";
  const totals = mine ? await store.summarizeOrdersForUser(scope.userId) : await store.summarizeOrders();
  return { ...presentSummary(totals, currency), scope: mine ? ("customer" as const) : ("shop" as const) };
}

function presentSummary(totals: OrderSummary, currency: string) {
  return {
    total_orders: totals.totalOrders,
    total_revenue: formatMinor(totals.revenueMinorByCurrency[currency] ?? 0, currency),
    gross_revenue: formatMinor(totals.grossRevenueMinorByCurrency[currency] ?? 0, currency),
    refunded_revenue: formatMinor(totals.refundedMinorByCurrency[currency] ?? 0, currency),
    paid_orders: totals.paidOrders,
    pending_orders: totals.pendingOrders,
    cancelled_orders: totals.cancelledOrders,
    currency,
    revenue_by_currency: Object.fromEntries(
      Object.entries(totals.revenueMinorByCurrency).map(([code, minor]) => [code, formatMinor(minor, code)]),
    ),
  };
}

export interface RangeQuery {
  from?: string;
  to?: string;
  tz?: string;
}

/** A report's range: local dates [from, to] in a zone, and the UTC slots they cover. */
export interface ReportRange {
  from: DayNumber;
  to: DayNumber;
  tz: string;
  fromSlot: number;
  toSlot: number;
}

/**
 * Reads and checks a range, naming the field at fault. Defaults: the 30 days up to today in `tz`, which
 * defaults to the shop's REPORT_TIMEZONE.
 */
export function reportRange(query: RangeQuery, defaultZone: string, now = Date.now()): ReportRange {
  const tz = query.tz ?? defaultZone;
  if (!isTimeZone(tz)) {
    throw AppError.invalid({ tz: ["must be an IANA time zone such as Europe/Berlin or UTC"] });
  }
  const today = todayIn(tz, now);
  const errors: Record<string, string[]> = {};
  const dateOf = (field: "from" | "to", text: string | undefined, fallback: DayNumber) => {
    if (text === undefined) return fallback;
    const day = parseDate(text);
    if (day === undefined) errors[field] = ["must be a date written YYYY-MM-DD"];
    else if (day < 1 || day > LAST_DAY) errors[field] = ["must be between 1970-01-02 and 9999-12-30"];
    return day ?? fallback;
  };
  const to = dateOf("to", query.to, today);
  const from = dateOf("from", query.from, query.from === undefined ? to - (DEFAULT_DAYS - 1) : to);
  if (Object.keys(errors).length > 0) throw AppError.invalid(errors);
  if (from > to) throw AppError.invalid({ from: ["must not be after to"] });
  if (to - from + 1 > MAX_REPORT_DAYS) {
    throw AppError.invalid({ from: [`must be at most ${MAX_REPORT_DAYS} days before to (three years)`] });
  }
  return { from, to, tz, fromSlot: startOfLocalDay(tz, from), toSlot: startOfLocalDay(tz, to + 1) };
}

interface Figures {
  orders: number;
  paidOrders: number;
  revenueMinorByCurrency: Map<string, number>;
  refundsMinorByCurrency: Map<string, number>;
}

const emptyFigures = (): Figures => ({
  orders: 0,
  paidOrders: 0,
  revenueMinorByCurrency: new Map(),
  refundsMinorByCurrency: new Map(),
});

function add(figures: Figures, row: LocalDaySales) {
  figures.orders += row.orders;
  figures.paidOrders += row.paidOrders;
  const sum = (sums: Map<string, number>, amount: number) =>
    sums.set(row.currency, (sums.get(row.currency) ?? 0) + amount);
  sum(figures.revenueMinorByCurrency, row.revenueMinor);
  sum(figures.refundsMinorByCurrency, row.refundsMinor);
}

/** Sales over time: every bucket of the range, with zeros where nothing happened. */
export async function salesReport(
  store: Store,
  shopCurrency: string,
  range: ReportRange,
  interval: Interval,
) {
  const [days, shop] = await Promise.all([
    store.salesByLocalDay(offsetSegments(range.tz, range.fromSlot, range.toSlot)),
    store.summarizeOrders(),
  ]);
  // Buckets are named by their calendar start (the day, its week's Monday, the 1st of its month); the first and
  // last count only the days inside the range.
  const starts: DayNumber[] = [];
  for (
    let start = bucketStart(range.from, interval);
    start <= range.to;
    start = nextBucketStart(start, interval)
  ) {
    starts.push(start);
  }
  const buckets = new Map(starts.map((start) => [start, emptyFigures()]));
  const totals = emptyFigures();
  for (const row of days) {
    const bucket = buckets.get(bucketStart(row.day, interval));
    if (!bucket) continue;
    add(bucket, row);
    add(totals, row);
  }
  const currencies = Object.keys(shop.revenueMinorByCurrency);
  const severalCurrencies = currencies.some((code) => code !== shopCurrency);
  const codes = [...new Set([shopCurrency, ...currencies])].sort();
  const revenue = (figures: Figures, code: string) => figures.revenueMinorByCurrency.get(code) ?? 0;
  const refunds = (figures: Figures, code: string) => figures.refundsMinorByCurrency.get(code) ?? 0;
  const byCurrency = (amount: (code: string) => number) =>
    Object.fromEntries(codes.map((code) => [code, formatMinor(amount(code), code)]));
  const present = (figures: Figures) => ({
    orders: figures.orders,
    paid_orders: figures.paidOrders,
    revenue: formatMinor(revenue(figures, shopCurrency), shopCurrency),
    refunds: formatMinor(refunds(figures, shopCurrency), shopCurrency),
    net: formatMinor(revenue(figures, shopCurrency) - refunds(figures, shopCurrency), shopCurrency),
    ...(severalCurrencies
      ? {
          revenue_by_currency: byCurrency((code) => revenue(figures, code)),
          refunds_by_currency: byCurrency((code) => refunds(figures, code)),
          net_by_currency: byCurrency((code) => revenue(figures, code) - refunds(figures, code)),
        }
      : {}),
  });
  return {
    from: formatDate(range.from),
    to: formatDate(range.to),
    interval,
    tz: range.tz,
    currency: shopCurrency,
    buckets: starts.map((start) => ({
      start: formatDate(start),
      ...present(buckets.get(start) as Figures),
    })),
    totals: present(totals),
  };
}

/**
 * Products by gross line revenue (what their lines were paid). A refund gives back an amount of an order, not of
 * a line, so the range's refunds in the currency are shown apart, beside the products, not taken off them.
 */
export async function productsReport(store: Store, currency: string, range: ReportRange, limit: number) {
  const [results, days] = await Promise.all([
    store.topProducts({ fromSlot: range.fromSlot, toSlot: range.toSlot, currency, limit }),
    store.salesByLocalDay(offsetSegments(range.tz, range.fromSlot, range.toSlot)),
  ]);
  const refundsMinor = days
    .filter((day) => day.currency === currency && day.day >= range.from && day.day <= range.to)
    .reduce((sum, day) => sum + day.refundsMinor, 0);
  return {
    from: formatDate(range.from),
    to: formatDate(range.to),
    tz: range.tz,
    currency,
    refunds: formatMinor(refundsMinor, currency),
    results: results.map((row) => ({
      product: row.product,
      paid_orders: row.paidOrders,
      quantity: row.quantity,
      revenue: formatMinor(row.revenueMinor, currency),
    })),
  };
}

export type SalesReport = Awaited<ReturnType<typeof salesReport>>;
export type ProductsReport = Awaited<ReturnType<typeof productsReport>>;

/** The sales report as CSV: the JSON field names as the header, one line per bucket. */
export function salesCsv(report: SalesReport): { filename: string; body: string } {
  const currencies = Object.keys(report.totals.revenue_by_currency ?? {});
  const header = [
    "start",
    "orders",
    "paid_orders",
    "revenue",
    "refunds",
    "net",
    ...currencies.flatMap((code) => [
      `revenue_by_currency.${code}`,
      `refunds_by_currency.${code}`,
      `net_by_currency.${code}`,
    ]),
  ];
  const rows = report.buckets.map((bucket) => [
    bucket.start,
    bucket.orders,
    bucket.paid_orders,
    bucket.revenue,
    bucket.refunds,
    bucket.net,
    ...currencies.flatMap((code) => [
      bucket.revenue_by_currency?.[code],
      bucket.refunds_by_currency?.[code],
      bucket.net_by_currency?.[code],
    ]),
  ]);
  return { filename: `sales-${report.from}-${report.to}.csv`, body: csvTable(header, rows) };
}

/** The products report as CSV, one line per product. */
export function productsCsv(report: ProductsReport): { filename: string; body: string } {
  const rows = report.results.map((row) => [
    row.product.id,
    row.product.name,
    row.paid_orders,
    row.quantity,
    row.revenue,
  ]);
  return {
    filename: `products-${report.from}-${report.to}.csv`,
    body: csvTable(["product.id", "product.name", "paid_orders", "quantity", "revenue"], rows),
  };
}
