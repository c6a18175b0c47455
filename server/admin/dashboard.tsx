import { availabilityOf, LOW_STOCK_LEFT } from "../../db/stock.ts";
import type { CrmHealth, Product, Store } from "../../db/store.ts";
import type { Config } from "../config.ts";
import { bucketStart, formatDate, type Interval, intervalOf, todayIn } from "../reports/calendar.ts";
import {
  type ProductsReport,
  productsReport,
  type ReportRange,
  reportRange,
  reportSummary,
  type SalesReport,
  salesReport,
} from "../reports/service.ts";
import { AppError, type FieldErrors } from "../shared/errors.ts";
import { formatMinor, parseMinor } from "../shared/money.ts";
import { BarChart } from "./bar-chart.tsx";
import { formatDay, formatMoney as money, ScrollX } from "./format.tsx";
import { AllTimeFigures, FieldError, invalidField } from "./views.tsx";

/** Low-stock products listed at most. */
const LOW_STOCK_SHOWN = 20;

export const PRESETS = {
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  "90d": "Last 90 days",
  "this-month": "This month",
  "last-month": "Last month",
  custom: "Custom",
} as const;
type Preset = keyof typeof PRESETS;

export interface DashboardQuery {
  range?: string;
  from?: string;
  to?: string;
  interval?: string;
  /** The dates the form showed: dates typed over them are a custom range whatever Range says. */
  shown_from?: string;
  shown_to?: string;
}

/** The dashboard's range from its form: a preset, or custom dates; and the range of the same length before it. */
export function dashboardRange(query: DashboardQuery, zone: string, now = Date.now()) {
  const typedOver =
    (query.shown_from !== undefined && query.from !== query.shown_from) ||
    (query.shown_to !== undefined && query.to !== query.shown_to);
  const preset: Preset = typedOver
    ? "custom"
    : query.range && query.range in PRESETS
      ? (query.range as Preset)
      : "30d";
  const interval = intervalOf(query.interval) ?? "day";
  const today = todayIn(zone, now);
  const days = (count: number) => ({ from: formatDate(today - count + 1), to: formatDate(today) });
  const monthStart = bucketStart(today, "month");
  const dates =
    preset === "custom"
      ? { from: query.from || undefined, to: query.to || undefined }
      : preset === "this-month"
        ? { from: formatDate(monthStart), to: formatDate(today) }
        : preset === "last-month"
          ? { from: formatDate(bucketStart(monthStart - 1, "month")), to: formatDate(monthStart - 1) }
          : days(Number.parseInt(preset, 10));
  const range = reportRange({ ...dates, tz: zone }, zone, now);
  const length = range.to - range.from + 1;
  const previous = reportRange(
    { from: formatDate(range.from - length), to: formatDate(range.from - 1), tz: zone },
    zone,
    now,
  );
  return { preset, interval, range, previous };
}

/**
 * The dashboard's figures. Dates that cannot be shown (not dates, or From after To) are said beside their fields,
 * kept as typed, over the last 30 days' figures.
 */
export async function loadDashboard(store: Store, config: Config, query: DashboardQuery) {
  let errors: FieldErrors = {};
  let chosen: ReturnType<typeof dashboardRange>;
  try {
    chosen = dashboardRange(query, config.REPORT_TIMEZONE);
  } catch (error) {
    if (!(error instanceof AppError) || error.kind !== "invalid-input") throw error;
    errors = error.details.fields ?? {};
    chosen = dashboardRange({ interval: query.interval }, config.REPORT_TIMEZONE);
  }
  const { preset, interval, range, previous } = chosen;
  const [sales, before, top, crm, allTime, lowStock] = await Promise.all([
    salesReport(store, config.CURRENCY, range, interval),
    salesReport(store, config.CURRENCY, previous, "month"),
    productsReport(store, config.CURRENCY, range, 10),
    store.crmHealth(),
    reportSummary(store, config.CURRENCY),
    store.listLowStockProducts(LOW_STOCK_LEFT, LOW_STOCK_SHOWN),
  ]);
  const typed = Object.keys(errors).length > 0 ? { from: query.from ?? "", to: query.to ?? "" } : undefined;
  return {
    preset,
    interval,
    range,
    sales,
    before,
    top,
    crm,
    allTime,
    lowStock,
    now: new Date(),
    errors,
    typed,
  };
}

type DashboardData = Awaited<ReturnType<typeof loadDashboard>>;

function Kpi(props: { label: string; value: string; previous: string; change?: string }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd>{props.value}</dd>
      <dd class="kpi-before">
        {props.previous} before{props.change ? ` (${props.change})` : ""}
      </dd>
    </div>
  );
}

function change(now: number, before: number): string | undefined {
  if (before === 0) return now === 0 ? undefined : "new";
  const percent = Math.round(((now - before) / before) * 100);
  return `${percent > 0 ? "+" : ""}${percent}%`;
}

function Kpis(props: { sales: SalesReport; before: SalesReport }) {
  const { currency } = props.sales;
  const figures = (report: SalesReport) => {
    const minor = (amount: string) => parseMinor(amount, currency) ?? 0;
    const gross = minor(report.totals.revenue);
    return {
      orders: report.totals.orders,
      paid: report.totals.paid_orders,
      gross,
      refunds: minor(report.totals.refunds),
      net: minor(report.totals.net),
      average: report.totals.paid_orders > 0 ? Math.round(gross / report.totals.paid_orders) : 0,
      share: report.totals.orders > 0 ? report.totals.paid_orders / report.totals.orders : 0,
    };
  };
  const now = figures(props.sales);
  const then = figures(props.before);
  const cash = (minor: number) => money(formatMinor(minor, currency), currency);
  const share = (value: number) => `${Math.round(value * 100)}%`;
  const kpi = (label: string, key: "orders" | "paid" | "gross" | "refunds" | "net" | "average") => {
    const show = key === "orders" || key === "paid" ? String : cash;
    return (
      <Kpi
        label={label}
        value={show(now[key])}
        previous={show(then[key])}
        change={change(now[key], then[key])}
      />
    );
  };
  return (
    <dl class="stats" aria-label="Key figures for the range">
      {kpi("Orders", "orders")}
      {kpi("Paid orders, refunded ones included", "paid")}
      {kpi("Gross revenue", "gross")}
      {kpi("Refunds", "refunds")}
      {kpi("Net revenue", "net")}
      {kpi("Average paid order, gross", "average")}
      <Kpi
        label="Share of orders paid"
        value={share(now.share)}
        previous={then.orders > 0 ? share(then.share) : "no orders"}
      />
    </dl>
  );
}

function SalesTable(props: { sales: SalesReport }) {
  const { sales } = props;
  return (
    <ScrollX label="Sales per bucket">
      <table class="cards">
        <caption>
          Per {sales.interval}, in {sales.tz}
        </caption>
        <thead>
          <tr>
            <th scope="col">Starting</th>
            <th scope="col">Orders</th>
            <th scope="col">Paid orders</th>
            <th scope="col">Gross revenue</th>
            <th scope="col">Refunds</th>
            <th scope="col">Net revenue</th>
          </tr>
        </thead>
        <tbody>
          {sales.buckets.map((bucket) => (
            <tr>
              <td data-label="Starting">{formatDay(bucket.start)}</td>
              <td data-label="Orders">{bucket.orders}</td>
              <td data-label="Paid orders">{bucket.paid_orders}</td>
              <td data-label="Gross revenue">{money(bucket.revenue, sales.currency)}</td>
              <td data-label="Refunds">{money(bucket.refunds, sales.currency)}</td>
              <td data-label="Net revenue">{money(bucket.net, sales.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollX>
  );
}

/** Products by gross revenue: a refund gives back an amount of an order, not of a line, so refunds stand apart. */
function TopProducts(props: { top: ProductsReport }) {
  if (props.top.results.length === 0) return <p>No paid orders in this range.</p>;
  return (
    <ScrollX label="Top products">
      <table class="cards">
        <caption>
          By gross revenue; refunds in this range, {money(props.top.refunds, props.top.currency)}, are not
          taken off any product.
        </caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Paid orders, refunded ones included</th>
            <th scope="col">Quantity</th>
            <th scope="col">Gross revenue</th>
          </tr>
        </thead>
        <tbody>
          {props.top.results.map((row) => (
            <tr>
              <td data-label="Product">
                <a href={`/admin/products/${row.product.id}/edit`}>{row.product.name}</a>
              </td>
              <td data-label="Paid orders">{row.paid_orders}</td>
              <td data-label="Quantity">{row.quantity}</td>
              <td data-label="Gross revenue">{money(row.revenue, props.top.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollX>
  );
}

function age(since: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `${Math.floor(minutes / 1440)} days`;
}

function CrmPanel(props: { crm: CrmHealth; now: Date }) {
  const { crm } = props;
  return (
    <dl class="stats" aria-label="CRM sync">
      <div>
        <dt>Waiting for the CRM</dt>
        <dd>{crm.waiting}</dd>
        <dd class="kpi-before">
          {crm.oldestWaitingPaidAt
            ? `oldest paid ${age(crm.oldestWaitingPaidAt, props.now)} ago`
            : "none waiting"}
        </dd>
      </div>
      <div>
        <dt>Failed</dt>
        <dd>
          <a href="/admin/orders?crm=failed">{crm.failed}</a>
        </dd>
        <dd class="kpi-before">paid orders whose last CRM attempt failed</dd>
      </div>
    </dl>
  );
}

function RangeForm(props: { data: DashboardData }) {
  const { data } = props;
  const { errors } = data;
  const dateField = (field: "from" | "to", label: string) => (
    <div>
      <label for={field}>{label}</label>
      <input
        id={field}
        name={field}
        type="date"
        value={data.typed ? data.typed[field] : data.sales[field]}
        {...invalidField(errors, field)}
      />
      <FieldError errors={errors[field]} id={field} />
    </div>
  );
  return (
    <form method="get" action="/admin" class="range">
      <input type="hidden" name="shown_from" value={data.sales.from} />
      <input type="hidden" name="shown_to" value={data.sales.to} />
      <div>
        <label for="range">Range</label>
        <select id="range" name="range">
          {Object.entries(PRESETS).map(([value, label]) => (
            <option value={value} selected={value === data.preset}>
              {label}
            </option>
          ))}
        </select>
      </div>
      {dateField("from", "From")}
      {dateField("to", "To")}
      <div>
        <label for="interval">Per</label>
        <select id="interval" name="interval">
          {(["day", "week", "month"] as const).map((value) => (
            <option value={value} selected={value === data.interval}>
              {value}
            </option>
          ))}
        </select>
      </div>
      <button type="submit">Show</button>
    </form>
  );
}

export function DashboardPage(props: { data: DashboardData }) {
  const { data } = props;
  const { sales } = data;
  const query = `from=${sales.from}&to=${sales.to}&interval=${sales.interval}`;
  const cash = (minor: number) => money(formatMinor(Math.round(minor), sales.currency), sales.currency);
  return (
    <>
      <RangeForm data={data} />
      {data.typed && (
        <p role="alert" class="error">
          Those dates cannot be shown (see beside them); below are the last 30 days.
        </p>
      )}
      <p>
        {formatDay(sales.from)} to {formatDay(sales.to)} ({sales.tz}), against the{" "}
        {data.range.to - data.range.from + 1} days before.
      </p>
      <Kpis sales={sales} before={data.before} />
      <h2>Gross revenue</h2>
      <BarChart
        id="revenue-chart"
        title={`Gross revenue per ${sales.interval}`}
        description={`Paid revenue before refunds in ${sales.currency.toUpperCase()} per ${sales.interval} from ${sales.from} to ${sales.to}; the table below has every number.`}
        points={sales.buckets.map((bucket) => ({
          label: bucket.start,
          value: parseMinor(bucket.revenue, sales.currency) ?? 0,
        }))}
        format={cash}
      />
      <h2>Orders</h2>
      <BarChart
        id="orders-chart"
        title={`Orders per ${sales.interval}`}
        description={`Orders created per ${sales.interval} from ${sales.from} to ${sales.to}; the table below has every number.`}
        points={sales.buckets.map((bucket) => ({ label: bucket.start, value: bucket.orders }))}
        format={(value) => String(value)}
        integers
      />
      <details>
        <summary>The numbers behind the charts</summary>
        <SalesTable sales={sales} />
      </details>
      <p class="downloads">
        <a class="button" href={`/admin/reports/sales.csv?${query}`} download>
          Download sales (CSV)
        </a>{" "}
        <a class="button" href={`/admin/reports/products.csv?${query}`} download>
          Download top products (CSV)
        </a>
      </p>
      <h2>Top products</h2>
      <TopProducts top={data.top} />
      <h2>Low stock</h2>
      <LowStock products={data.lowStock} />
      <h2>CRM sync</h2>
      <CrmPanel crm={data.crm} now={data.now} />
      <h2>All time</h2>
      <AllTimeFigures summary={data.allTime} />
    </>
  );
}

/** Products customers can soon no longer order: LOW_STOCK_LEFT or fewer left, fewest first. */
function LowStock(props: { products: Product[] }) {
  if (props.products.length === 0)
    return <p>No product is low: each has more than {LOW_STOCK_LEFT} left, or unlimited stock.</p>;
  return (
    <ScrollX label="Low stock">
      <table class="cards">
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Left to order</th>
            <th scope="col">On hand</th>
            <th scope="col">Held by unpaid orders</th>
          </tr>
        </thead>
        <tbody>
          {props.products.map((product) => {
            const { left } = availabilityOf(product);
            return (
              <tr>
                <td data-label="Product">
                  <a href={`/admin/products/${product.id}/edit`}>{product.name}</a>
                </td>
                <td data-label="Left to order">{left === 0 ? "sold out" : left}</td>
                <td data-label="On hand">{product.stock}</td>
                <td data-label="Held by unpaid orders">{product.stockReserved}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </ScrollX>
  );
}

/** For the admin's CSV links: the same range rules as the dashboard and the API. */
export function csvRange(query: DashboardQuery, zone: string): { range: ReportRange; interval: Interval } {
  const interval = intervalOf(query.interval) ?? "day";
  if (query.interval !== undefined && query.interval !== interval) {
    throw AppError.invalid({ interval: ["must be day, week or month"] });
  }
  return { range: reportRange({ from: query.from, to: query.to, tz: zone }, zone), interval };
}
