import type { Store } from "../../db/store.ts";
import { formatMinor } from "../shared/money.ts";

/** The ERP-style summary, shared by the API and the admin dashboard. */
export async function reportSummary(store: Store, currency: string) {
  const totals = await store.summarizeOrders();
  return {
    total_orders: totals.totalOrders,
    total_revenue: formatMinor(totals.revenueMinorByCurrency[currency] ?? 0, currency),
    paid_orders: totals.paidOrders,
    pending_orders: totals.pendingOrders,
    currency,
    revenue_by_currency: Object.fromEntries(
      Object.entries(totals.revenueMinorByCurrency).map(([code, minor]) => [code, formatMinor(minor, code)]),
    ),
  };
}
