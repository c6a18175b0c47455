import type { Child } from "hono/jsx";
import { CRM_SYNC_STATUSES, ORDER_STATUSES } from "../../db/enums.ts";
import type { OrderView, Product, Refund } from "../../db/store.ts";
import type { reportSummary } from "../reports/service.ts";
import type { FieldErrors } from "../shared/errors.ts";
import { formatMinor } from "../shared/money.ts";
import { Money, MoneyText, ScrollX, When } from "./format.tsx";
import type { ProductFormValues } from "./service.ts";
import { ADMIN_STYLESHEET } from "./stylesheet.ts";

export function Layout(props: {
  title: string;
  csrfToken?: string;
  email?: string;
  notice?: string;
  children: Child;
}) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · Admin</title>
        <link rel="stylesheet" href={ADMIN_STYLESHEET.path} />
      </head>
      <body>
        <header>
          <strong>Shop admin</strong>
          {props.csrfToken && (
            <>
              <a href="/admin">Dashboard</a>
              <a href="/admin/products">Products</a>
              <a href="/admin/orders">Orders</a>
              <a href="/admin/password">Password</a>
              <form method="post" action="/admin/logout">
                <input type="hidden" name="_csrf" value={props.csrfToken} />
                <button type="submit" class="plain">
                  Sign out {props.email}
                </button>
              </form>
            </>
          )}
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.notice && (
            <p class="notice" role="status">
              {props.notice}
            </p>
          )}
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function LoginForm(props: { email: string; error?: string }) {
  return (
    <form method="post" action="/admin/login">
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      <label for="email">Email</label>
      <input id="email" name="email" type="email" value={props.email} autocomplete="username" required />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      <p>
        <button type="submit">Sign in</button>
      </p>
    </form>
  );
}

export function Dashboard(props: { summary: Awaited<ReturnType<typeof reportSummary>> }) {
  const { summary } = props;
  return (
    <dl class="stats">
      <div>
        <dt>Total orders</dt>
        <dd>{summary.total_orders}</dd>
      </div>
      <div>
        <dt>Total revenue</dt>
        <dd>
          <MoneyText amount={summary.total_revenue} currency={summary.currency} />
        </dd>
      </div>
      <div>
        <dt>Paid orders</dt>
        <dd>{summary.paid_orders}</dd>
      </div>
      <div>
        <dt>Pending orders</dt>
        <dd>{summary.pending_orders}</dd>
      </div>
      {Object.entries(summary.revenue_by_currency)
        .filter(([code]) => code !== summary.currency)
        .map(([code, amount]) => (
          <div>
            <dt>Revenue in {code.toUpperCase()}</dt>
            <dd>
              <MoneyText amount={amount} currency={code} />
            </dd>
          </div>
        ))}
    </dl>
  );
}

function Pager(props: { page: number; count: number; pageSize: number; href: (page: number) => string }) {
  const last = Math.max(1, Math.ceil(props.count / props.pageSize));
  return (
    <nav class="pager" aria-label="Pages">
      {props.page > 1 && <a href={props.href(props.page - 1)}>← Previous</a>}
      <span>
        Page {props.page} of {last} ({props.count} in all)
      </span>
      {props.page < last && <a href={props.href(props.page + 1)}>Next →</a>}
    </nav>
  );
}

export function ProductList(props: {
  products: Product[];
  page: number;
  count: number;
  pageSize: number;
  csrfToken: string;
}) {
  return (
    <>
      <p>
        <a href="/admin/products/new">Add a product</a>
      </p>
      <ScrollX label="Products">
        <table>
          <thead>
            <tr>
              <th>ID</th>
              <th>Name</th>
              <th>Price</th>
              <th>Active</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {props.products.map((product) => (
              <tr>
                <td>{product.id}</td>
                <td>{product.name}</td>
                <td>
                  <Money minor={product.priceMinor} currency={product.currency} />
                </td>
                <td>{product.active ? "yes" : "no"}</td>
                <td>
                  <span class="actions">
                    <a href={`/admin/products/${product.id}/edit`}>Edit</a>
                    <a href={`/admin/products/${product.id}/delete`} class="danger">
                      Delete…
                    </a>
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollX>
      <Pager
        page={props.page}
        count={props.count}
        pageSize={props.pageSize}
        href={(page) => `/admin/products?page=${page}`}
      />
    </>
  );
}

function FieldError(props: { errors?: string[]; id: string }) {
  return props.errors ? (
    <p class="error" id={`${props.id}-error`}>
      {props.errors.join(" ")}
    </p>
  ) : null;
}

/** The admin's own new password: the current one, the new one twice. What was typed is never sent back. */
export function PasswordForm(props: { errors: FieldErrors; csrfToken: string }) {
  const { errors } = props;
  const invalid = (field: string) =>
    errors[field] ? { "aria-invalid": "true", "aria-describedby": `${field}-error` } : {};
  return (
    <form method="post" action="/admin/password">
      <input type="hidden" name="_csrf" value={props.csrfToken} />
      <label for="currentPassword">Current password</label>
      <input
        id="currentPassword"
        name="currentPassword"
        type="password"
        autocomplete="current-password"
        required
        {...invalid("currentPassword")}
      />
      <FieldError errors={errors.currentPassword} id="currentPassword" />
      <label for="newPassword">New password (at least 8 characters)</label>
      <input
        id="newPassword"
        name="newPassword"
        type="password"
        autocomplete="new-password"
        minlength={8}
        required
        {...invalid("newPassword")}
      />
      <FieldError errors={errors.newPassword} id="newPassword" />
      <label for="confirmPassword">New password again</label>
      <input
        id="confirmPassword"
        name="confirmPassword"
        type="password"
        autocomplete="new-password"
        required
        {...invalid("confirmPassword")}
      />
      <FieldError errors={errors.confirmPassword} id="confirmPassword" />
      <p>
        Changing it ends every other session of yours: other browsers signed in to the admin, and every API
        token.
      </p>
      <p>
        <button type="submit">Change password</button> <a href="/admin">Cancel</a>
      </p>
    </form>
  );
}

export function ProductForm(props: {
  action: string;
  values: ProductFormValues;
  errors: FieldErrors;
  csrfToken: string;
}) {
  const { values, errors } = props;
  const invalid = (field: string) =>
    errors[field] ? { "aria-invalid": "true", "aria-describedby": `${field}-error` } : {};
  return (
    <form method="post" action={props.action}>
      <input type="hidden" name="_csrf" value={props.csrfToken} />
      <label for="name">Name</label>
      <input id="name" name="name" type="text" value={values.name} required {...invalid("name")} />
      <FieldError errors={errors.name} id="name" />
      <label for="description">Description</label>
      <textarea id="description" name="description" rows={3} {...invalid("description")}>
        {values.description}
      </textarea>
      <FieldError errors={errors.description} id="description" />
      <label for="price">Price (e.g. 19.99)</label>
      <input
        id="price"
        name="price"
        type="text"
        inputmode="decimal"
        value={values.price}
        required
        {...invalid("price")}
      />
      <FieldError errors={errors.price} id="price" />
      <label for="currency">Currency</label>
      <input
        id="currency"
        name="currency"
        type="text"
        value={values.currency}
        maxlength={3}
        required
        {...invalid("currency")}
      />
      <FieldError errors={errors.currency} id="currency" />
      <label>
        <input type="checkbox" name="active" checked={values.active === "on"} /> Active (shown to customers)
      </label>
      <p>
        <button type="submit">Save</button> <a href="/admin/products">Cancel</a>
      </p>
    </form>
  );
}

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
      <ScrollX label="Orders">
        <table>
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
                <td>
                  <a href={`/admin/orders/${order.id}`}>#{order.id}</a>
                </td>
                <td>{order.customerEmail}</td>
                <td>
                  {order.quantity} × {order.product.name}
                </td>
                <td>
                  <Money minor={order.amountMinor} currency={order.currency} />
                </td>
                <td>
                  {order.status === "paid" && order.refundedMinor > 0 ? "partly refunded" : order.status}
                </td>
                <td>{order.paidAt ? order.crmSyncStatus : "—"}</td>
                <td>
                  <When date={order.createdAt} zone={props.zone} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollX>
      <Pager page={props.page} count={props.count} pageSize={props.pageSize} href={query} />
    </>
  );
}

const PAYMENT_WORDS: Record<string, string> = {
  unpaid: "no payment started",
  open: "checkout open",
  paid: "paid at Stripe",
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
    ["Product", `${order.product.name} (#${order.product.id})`],
    ["Quantity", order.quantity],
    ["Amount", <Money minor={order.amountMinor} currency={order.currency} />],
    ["Payment status", paymentWords(order)],
    ["Checkout Session", order.paymentSessionId ?? "—"],
    ["PaymentIntent", order.paymentIntentId ?? "—"],
    ["Created", at(order.createdAt)],
    ["Paid", at(order.paidAt)],
    ...(order.cancelledAt ? [["Cancelled", at(order.cancelledAt)] as [string, Child]] : []),
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
      <dl class="detail">
        {rows.map(([label, value]) => (
          <>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </>
        ))}
      </dl>
      {order.status === "pending" && (
        <form method="post" action={`/admin/orders/${order.id}/cancel`}>
          <input type="hidden" name="_csrf" value={props.csrfToken} />
          <p>
            <button type="submit" class="danger">
              Cancel order #{order.id}
            </button>{" "}
            An open checkout is closed at Stripe first, so it can no longer take money.
          </p>
        </form>
      )}
      <RefundList order={order} csrfToken={props.csrfToken} zone={zone} />
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

function RefundList(props: { order: OrderView; csrfToken: string; zone: string }) {
  const { order } = props;
  if (order.refunds.length === 0) return null;
  const state = (refund: Refund) =>
    refund.status === "failed" && refund.failure ? `failed: ${refund.failure}` : refund.status;
  return (
    <>
      <h2>Refunds</h2>
      <ScrollX label="Refunds">
        <table>
          <thead>
            <tr>
              <th>Amount</th>
              <th>Status</th>
              <th>Reason</th>
              <th>Made</th>
              <th>CRM</th>
              <th>Stripe refund</th>
            </tr>
          </thead>
          <tbody>
            {order.refunds.map((refund) => (
              <tr>
                <td>
                  <Money minor={refund.amountMinor} currency={refund.currency} />
                </td>
                <td>{state(refund)}</td>
                <td>{refund.reason ? REASONS[refund.reason] : "—"}</td>
                <td>
                  <When date={refund.createdAt} zone={props.zone} />
                </td>
                <td>
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
                <td class="id">
                  {refund.stripeRefundId ?? "— (not at Stripe)"}
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

/** The first step of a refund: what and why. The next page asks to confirm before Stripe is called. */
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
        {props.reason ? ` (${REASONS[props.reason]})` : ""}? Stripe sends the money back to the card that
        paid; this cannot be undone.
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

export function DeleteProduct(props: { product: Product; csrfToken: string }) {
  const { product } = props;
  return (
    <>
      <p>
        Delete <strong>{product.name}</strong> (
        <Money minor={product.priceMinor} currency={product.currency} />
        )? Customers will no longer see it. If orders refer to it, it is deactivated instead, so those orders
        keep their history.
      </p>
      <form method="post" action={`/admin/products/${product.id}/delete`} class="confirm">
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        <button type="submit" class="danger">
          Delete {product.name}
        </button>
        <a href="/admin/products">Keep it</a>
      </form>
    </>
  );
}
