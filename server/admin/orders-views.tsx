import type { Child } from "hono/jsx";
import { CRM_SYNC_STATUSES, ORDER_STATUSES } from "../../db/enums.ts";
import type { OrderView, Refund } from "../../db/store.ts";
import { formatMinor } from "../shared/money.ts";
import { Money, ScrollX, When } from "./format.tsx";
import { ProviderLink, providerName } from "./provider-links.tsx";
import { Pager } from "./views.tsx";

const FILTERS = {
  status: ORDER_STATUSES,
  crm: CRM_SYNC_STATUSES,
} as const;

export function OrderList(props: {
  orders: OrderView[];
  page: number;
  count: number;
  pageSize: number;
  filter: { status?: string; crm?: string; from?: string; to?: string };
  zone: string;
}) {
  const filterQuery = Object.entries(props.filter).filter((entry): entry is [string, string] =>
    Boolean(entry[1]),
  );
  const query = (page: number) =>
    `/admin/orders?${new URLSearchParams([["page", String(page)], ...filterQuery])}`;
  return (
    <>
      <form method="get" action="/admin/orders" class="range">
        <div>
          <label for="status">Payment status</label>
          <select id="status" name="status">
            <option value="">any</option>
            {FILTERS.status.map((value) => (
              <option value={value} selected={props.filter.status === value}>
                {value}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="crm">CRM status</label>
          <select id="crm" name="crm">
            <option value="">any</option>
            {FILTERS.crm.map((value) => (
              <option value={value} selected={props.filter.crm === value}>
                {value}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="from">Created from</label>
          <input id="from" name="from" type="date" value={props.filter.from ?? ""} />
        </div>
        <div>
          <label for="to">Created to</label>
          <input id="to" name="to" type="date" value={props.filter.to ?? ""} />
        </div>
        <button type="submit">Filter</button>
        <a class="button" href={`/admin/orders.csv?${new URLSearchParams(filterQuery)}`} download>
          Download CSV
        </a>
      </form>
      {props.orders.length === 0 ? (
        <p role="status">
          {filterQuery.length > 0 ? "No orders match these filters." : "No orders yet."}{" "}
          {filterQuery.length > 0 && <a href="/admin/orders">Show every order</a>}
        </p>
      ) : (
        <ScrollX label="Orders">
          <table class="cards">
            <thead>
              <tr>
                <th>Order</th>
                <th>Customer</th>
                <th>Product</th>
                <th>Amount</th>
                <th>Payment</th>
                <th>CRM</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {props.orders.map((order) => (
                <tr>
                  <td data-label="Order">
                    <a href={`/admin/orders/${order.id}`}>#{order.id}</a>
                  </td>
                  <td data-label="Customer">{order.customerEmail}</td>
                  <td data-label="Product">
                    {order.quantity} × {order.product.name}
                    {order.items.length > 1 ? ` and ${order.items.length - 1} more` : ""}
                  </td>
                  <td data-label="Amount">
                    <Money minor={order.amountMinor} currency={order.currency} />
                  </td>
                  <td data-label="Payment">
                    {order.status === "paid" && order.refundedMinor > 0 ? "partly refunded" : order.status}
                  </td>
                  <td data-label="CRM">{order.paidAt ? order.crmSyncStatus : "—"}</td>
                  <td data-label="Created">
                    <When date={order.createdAt} zone={props.zone} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollX>
      )}
      <Pager page={props.page} count={props.count} pageSize={props.pageSize} href={query} />
    </>
  );
}

const PAYMENT_WORDS: Record<string, string> = {
  unpaid: "no payment started",
  open: "checkout open",
  paid: "paid",
  expired: "checkout expired",
  failed: "payment failed",
};

const REASONS = {
  requested_by_customer: "Requested by the customer",
  duplicate: "Duplicate payment",
  fraudulent: "Fraudulent",
} as const;

function paymentWords(order: OrderView): string {
  switch (order.status) {
    case "paid":
      return order.refundedMinor > 0 ? "Paid, partly refunded" : "Paid";
    case "refunded":
      return "Refunded in full";
    case "cancelled":
      return "Cancelled";
    default:
      return `Pending (${PAYMENT_WORDS[order.paymentStatus] ?? order.paymentStatus})`;
  }
}

export function OrderDetail(props: {
  order: OrderView;
  csrfToken: string;
  zone: string;
  /** Why the last action on the order failed, shown above it. */
  problem?: string;
  refundable: number;
  /** Stripe's dashboard keeps test-mode objects under /test. */
  testMode: boolean;
}) {
  const { order, zone } = props;
  const at = (date: Date | null) => <When date={date} zone={zone} />;
  // After a retry the sync is pending again: the last error belongs to the attempt before it.
  const lastError =
    order.crmLastError === null
      ? "—"
      : order.crmSyncStatus === "failed"
        ? order.crmLastError
        : `${order.crmLastError} (an earlier attempt; ${order.crmSyncStatus === "success" ? "since succeeded" : "tried again"})`;
  const rows: [string, Child][] = [
    ["Customer", order.customerEmail],
    ["Amount", <Money minor={order.amountMinor} currency={order.currency} />],
    ["Payment status", paymentWords(order)],
    ["Payment provider", providerName(order.paymentSessionId)],
    ["Checkout", <ProviderLink id={order.paymentSessionId} testMode={props.testMode} />],
    ["Payment", <ProviderLink id={order.paymentIntentId} testMode={props.testMode} />],
    ["Created", at(order.createdAt)],
    ["Paid", at(order.paidAt)],
    ...(order.cancelledAt
      ? [
          [
            "Cancelled",
            <>
              {at(order.cancelledAt)}
              {order.cancelReason === "sold_out" ? " (sold out before the payment arrived; refunded)" : ""}
            </>,
          ] as [string, Child],
        ]
      : []),
    ["Refunded", <Money minor={order.refundedMinor} currency={order.currency} />],
    ["CRM status", order.paidAt ? order.crmSyncStatus : "— (not paid)"],
    ["CRM attempts", order.crmAttempts],
    ["CRM last error", lastError],
    ["CRM next attempt", at(order.crmNextAttemptAt)],
    ["CRM reference", order.crmReference ?? "—"],
    ["CRM synced", at(order.crmSyncedAt)],
  ];
  return (
    <>
      {props.problem && (
        <p class="error" role="alert">
          {props.problem}
        </p>
      )}
      <OrderLines order={order} />
      <dl class="detail">
        {rows.map(([label, value]) => (
          <>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </>
        ))}
      </dl>
      {order.status === "pending" && (
        <p>
          <a href={`/admin/orders/${order.id}/cancel`} class="danger">
            Cancel order #{order.id}…
          </a>
        </p>
      )}
      <RefundList order={order} csrfToken={props.csrfToken} zone={zone} testMode={props.testMode} />
      {order.status === "paid" && props.refundable > 0 && (
        <RefundForm order={order} refundable={props.refundable} />
      )}
      {order.paidAt && order.crmSyncStatus === "failed" && (
        <form method="post" action={`/admin/orders/${order.id}/retry-crm`}>
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <p>
            <button type="submit">Retry CRM sync</button>
          </p>
        </form>
      )}
      <p>
        <a href="/admin/orders">Back to orders</a>
      </p>
    </>
  );
}

function RefundList(props: { order: OrderView; csrfToken: string; zone: string; testMode: boolean }) {
  const { order } = props;
  if (order.refunds.length === 0) return null;
  const state = (refund: Refund) =>
    refund.status === "failed" && refund.failure ? `failed: ${refund.failure}` : refund.status;
  return (
    <>
      <h2>Refunds</h2>
      <ScrollX label="Refunds">
        <table class="cards">
          <thead>
            <tr>
              <th>Amount</th>
              <th>Status</th>
              <th>Reason</th>
              <th>Made</th>
              <th>CRM</th>
              <th>Provider's refund</th>
            </tr>
          </thead>
          <tbody>
            {order.refunds.map((refund) => (
              <tr>
                <td data-label="Amount">
                  <Money minor={refund.amountMinor} currency={refund.currency} />
                </td>
                <td data-label="Status">{state(refund)}</td>
                <td data-label="Reason">{refund.reason ? REASONS[refund.reason] : "—"}</td>
                <td data-label="Made">
                  <When date={refund.createdAt} zone={props.zone} />
                </td>
                <td data-label="CRM">
                  {refund.crmSyncStatus ?? "—"}
                  {refund.crmSyncStatus === "failed" && (
                    <form method="post" action={`/admin/refunds/${refund.id}/retry-crm`} class="inline">
                      <input type="hidden" name="_csrf" value={props.csrfToken} />{" "}
                      <button type="submit" class="plain">
                        Retry
                      </button>
                    </form>
                  )}
                </td>
                <td class="id" data-label="Provider's refund">
                  {refund.stripeRefundId ? (
                    <ProviderLink id={refund.stripeRefundId} testMode={props.testMode} />
                  ) : (
                    "— (not at the provider)"
                  )}
                  {!refund.appliesToOrder && " (a payment the order could not take)"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollX>
    </>
  );
}

/** Cancelling asks first, on a page of its own, like deleting a product. */
export function CancelReview(props: { order: OrderView; csrfToken: string }) {
  const { order } = props;
  return (
    <>
      <p>
        Cancel order #{order.id} of {order.customerEmail} for{" "}
        <Money minor={order.amountMinor} currency={order.currency} />? An open checkout is closed at the
        payment provider first, so it can no longer take money (money that still arrives goes back by itself),
        and what the order holds goes back to stock. This cannot be undone.
      </p>
      <form method="post" action={`/admin/orders/${order.id}/cancel`} class="confirm">
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        <button type="submit" class="danger">
          Cancel order #{order.id}
        </button>
        <a href={`/admin/orders/${order.id}`}>Keep it</a>
      </form>
    </>
  );
}

/** The first step of a refund: what and why. The next page asks to confirm before the payment provider is called. */
function RefundForm(props: { order: OrderView; refundable: number }) {
  const { order } = props;
  return (
    <form method="get" action={`/admin/orders/${order.id}/refund`}>
      <h2>Refund</h2>
      <label for="amount">Amount ({order.currency.toUpperCase()})</label>
      <input
        id="amount"
        name="amount"
        type="text"
        inputmode="decimal"
        value={formatMinor(props.refundable, order.currency)}
        aria-describedby="amount-help"
        required
      />
      <p id="amount-help">
        At most <Money minor={props.refundable} currency={order.currency} />, what is left to refund.
      </p>
      <label for="reason">Reason</label>
      <select id="reason" name="reason">
        <option value="">none given</option>
        {Object.entries(REASONS).map(([value, label]) => (
          <option value={value}>{label}</option>
        ))}
      </select>
      <p>
        <button type="submit">Review refund</button>
      </p>
    </form>
  );
}

export function RefundReview(props: {
  order: OrderView;
  amountMinor: number;
  amountText: string;
  reason: keyof typeof REASONS | undefined;
  csrfToken: string;
}) {
  const { order } = props;
  return (
    <>
      <p>
        Refund{" "}
        <strong>
          <Money minor={props.amountMinor} currency={order.currency} />
        </strong>{" "}
        of order #{order.id} to {order.customerEmail}
        {props.reason ? ` (${REASONS[props.reason]})` : ""}? The payment provider sends the money back to what
        paid (card, UPI, bank); this cannot be undone.
      </p>
      <form method="post" action={`/admin/orders/${order.id}/refunds`} class="confirm">
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        <input type="hidden" name="amount" value={props.amountText} />
        <input type="hidden" name="reason" value={props.reason ?? ""} />
        <button type="submit" class="danger">
          Refund {formatMinor(props.amountMinor, order.currency)} {order.currency.toUpperCase()}
        </button>
        <a href={`/admin/orders/${order.id}`}>Keep the money</a>
      </form>
    </>
  );
}

/** The order's lines, as they were bought. */
function OrderLines(props: { order: OrderView }) {
  const { order } = props;
  return (
    <ScrollX label="Lines">
      <table class="lines">
        <caption>Lines</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Quantity</th>
            <th scope="col">Unit price</th>
            <th scope="col">Amount</th>
          </tr>
        </thead>
        <tbody>
          {order.items.map((item) => (
            <tr>
              <td>
                <a href={`/admin/products/${item.product.id}/edit`}>{item.product.name}</a> (#
                {item.product.id})
              </td>
              <td>{item.quantity}</td>
              <td>
                <Money minor={item.unitPriceMinor} currency={order.currency} />
              </td>
              <td>
                <Money minor={item.amountMinor} currency={order.currency} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollX>
  );
}
