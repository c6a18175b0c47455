/** @jsxImportSource preact */
import { useEffect, useState } from "preact/hooks";
import { type ApiError, api, formatMoney, type Summary } from "../api.ts";
import { Busy, ErrorNote } from "../components/ui.tsx";

export function ReportsPage() {
  const [summary, setSummary] = useState<Summary | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.summary().then(setSummary, (failure: ApiError) => setError(failure.detail));
  }, []);
  return (
    <section>
      <h1>Reports</h1>
      {summary && (
        <p data-testid="report-scope">
          {summary.scope === "shop" ? "Figures for the whole shop." : "Figures for your own orders."}
        </p>
      )}
      <ErrorNote message={error} />
      {!summary && !error && <Busy label="Loading the summary…" />}
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
