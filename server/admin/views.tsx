import type { Child } from "hono/jsx";
import type { reportSummary } from "../reports/service.ts";
import type { FieldErrors } from "../shared/errors.ts";
import { MoneyText } from "./format.tsx";
import { ADMIN_STYLESHEET } from "./stylesheet.ts";

/** What every admin page shares: the layout, the sign-in form, the pager, a field's error, the all-time figures. */
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

export function LoginForm(props: { email: string; error?: string; next: string }) {
  return (
    <form method="post" action="/admin/login">
      {props.next !== "/admin" && <input type="hidden" name="next" value={props.next} />}
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

/** The shop's all-time figures, money as gross, refunds and net like the range's above them. */
export function AllTimeFigures(props: { summary: Awaited<ReturnType<typeof reportSummary>> }) {
  const { summary } = props;
  const amount = (label: string, value: string, currency = summary.currency) => (
    <div>
      <dt>{label}</dt>
      <dd>
        <MoneyText amount={value} currency={currency} />
      </dd>
    </div>
  );
  const count = (label: string, value: number) => (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
  return (
    <dl class="stats" aria-label="All-time figures">
      {count("Orders", summary.total_orders)}
      {count("Paid orders, refunded ones included", summary.paid_orders)}
      {count("Pending orders", summary.pending_orders)}
      {count("Cancelled orders", summary.cancelled_orders)}
      {amount("Gross revenue", summary.gross_revenue)}
      {amount("Refunds", summary.refunded_revenue)}
      {amount("Net revenue", summary.total_revenue)}
      {Object.entries(summary.revenue_by_currency)
        .filter(([code]) => code !== summary.currency)
        .map(([code, value]) => amount(`Net revenue in ${code.toUpperCase()}`, value, code))}
    </dl>
  );
}

export function Pager(props: {
  page: number;
  count: number;
  pageSize: number;
  href: (page: number) => string;
}) {
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

export function FieldError(props: { errors?: string[]; id: string }) {
  return props.errors ? (
    <p class="error" id={`${props.id}-error`}>
      {props.errors.join(" ")}
    </p>
  ) : null;
}

/** An input's attributes when its field has errors: marked invalid and described by its FieldError. */
export function invalidField(errors: FieldErrors, field: string) {
  return errors[field] ? { "aria-invalid": "true", "aria-describedby": `${field}-error` } : {};
}
