/** @jsxImportSource preact */
import { api, formatMoney } from "../api.ts";
import { Busy, ErrorNote } from "../components/ui.tsx";
import { useResource } from "../resource.ts";

export function ReportsPage() {
  const resource = useResource(() => api.summary(), "summary");
  const summary = resource.data.value;
  const error = resource.error.value;
  return (
    <section>
      <h1>Reports</h1>
      {summary && (
        <p data-testid="report-scope">
          {summary.scope === "shop" ? "Figures for the whole shop." : "Figures for your own orders."}
        </p>
      )}
      <ErrorNote message={error} />
      {resource.loading.value && <Busy label="Loading the summary…" />}
      {summary && (
        <dl class="stats">
          <div>
            <dt>Total orders</dt>
            <dd data-testid="total-orders">{summary.total_orders}</dd>
          </div>
          <div>
            <dt>Revenue after refunds</dt>
            <dd data-testid="total-revenue">{formatMoney(summary.total_revenue, summary.currency)}</dd>
          </div>
          <div>
            <dt>Refunded</dt>
            <dd data-testid="refunded-revenue">{formatMoney(summary.refunded_revenue, summary.currency)}</dd>
          </div>
          <div>
            <dt>Paid orders</dt>
            <dd data-testid="paid-orders">{summary.paid_orders}</dd>
          </div>
          <div>
            <dt>Pending orders</dt>
            <dd data-testid="pending-orders">{summary.pending_orders}</dd>
          </div>
          <div>
            <dt>Cancelled orders</dt>
            <dd data-testid="cancelled-orders">{summary.cancelled_orders}</dd>
          </div>
        </dl>
      )}
    </section>
  );
}
