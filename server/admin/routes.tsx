import { type Context, Hono, type MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import type { Child } from "hono/jsx";
import type { AuthDeps } from "../auth/service.ts";
import { logIn } from "../auth/service.ts";
import type { CrmSync } from "../crm/sync.ts";
import { csvHeaders } from "../http/csv-response.ts";
import { pageParams } from "../http/pagination.ts";
import { handleError, headersOf, statusOf } from "../http/problem.ts";
import { IdParamSchema, PageQuerySchema } from "../http/schemas.ts";
import { cancelOrder, type PaymentDeps } from "../payments/service.ts";
import type { Catalog } from "../products/catalog.ts";
import { refundAmount, refundableMinor, refundOrder } from "../refunds/service.ts";
import { productsCsv, productsReport, salesCsv, salesReport } from "../reports/service.ts";
import { AppError } from "../shared/errors.ts";
import { formatMinor } from "../shared/money.ts";
import { csvRange, DashboardPage, loadDashboard } from "./dashboard.tsx";
import { emptyProductForm, exportOrdersCsv, orderFilterOf, parseProductForm } from "./service.ts";
import { type AdminSession, endAdminSession, readAdminSession, startAdminSession } from "./session.ts";
import {
  DeleteProduct,
  Layout,
  LoginForm,
  OrderDetail,
  OrderList,
  ProductForm,
  ProductList,
  RefundReview,
} from "./views.tsx";

const NOTICES: Record<string, string> = {
  created: "Product added.",
  saved: "Product saved.",
  deleted: "Product deleted.",
  deactivated:
    "Orders refer to this product, so it was deactivated instead of deleted; its orders keep their history.",
  resync: "CRM sync queued again.",
  "not-failed": "Only a failed CRM sync can be retried.",
  refunded: "Refund made at Stripe.",
  cancelled: "Order cancelled.",
};

const PAGE_SIZE = 25;

/** The page asked for in `?page=`, read by the API's own rule; anything it refuses is the first page. */
const pageOf = (c: Context) => {
  const page = PageQuerySchema.shape.page.safeParse(c.req.query("page"));
  return pageParams({ page: page.success ? (page.data ?? 1) : 1, page_size: PAGE_SIZE });
};

type AdminEnv = { Variables: { admin: AdminSession } };

/** A page number past the end (an old link, rows deleted since) goes to the last page, keeping the filters. */
function pastTheEnd(c: Context, pageNumber: number, rows: number, count: number): Response | undefined {
  if (rows > 0 || count === 0 || pageNumber === 1) return undefined;
  const url = new URL(c.req.url);
  url.searchParams.set("page", String(Math.ceil(count / PAGE_SIZE)));
  return c.redirect(`${url.pathname}${url.search}`, 303);
}

const REFUND_REASONS = ["requested_by_customer", "duplicate", "fraudulent"] as const;
type RefundReason = (typeof REFUND_REASONS)[number];
/** The form's reason: none when left empty, a 400 naming the field when it is not one of Stripe's. */
const reasonOf = (value: unknown): RefundReason | undefined => {
  if (value === undefined || value === "") return undefined;
  const reason = REFUND_REASONS.find((known) => known === value);
  if (!reason) throw AppError.invalid({ reason: [`must be one of ${REFUND_REASONS.join(", ")}`] });
  return reason;
};

export function adminRoutes(deps: AuthDeps & { crm: CrmSync; payments: PaymentDeps; catalog: Catalog }) {
  const { config, store } = deps;
  const allowedOrigins = new Set([new URL(config.APP_URL).origin]);
  const admin = new Hono<AdminEnv>({ strict: false });

  admin.use(
    csrf({ origin: (origin, c) => allowedOrigins.has(origin) || origin === new URL(c.req.url).origin }),
  );

  const requireAdmin: MiddlewareHandler<AdminEnv> = async (c, next) => {
    const session = await readAdminSession(c, config, store);
    if (!session) {
      if (c.req.method === "GET") return c.redirect("/admin/login", 303);
      throw AppError.forbidden("Sign in as an admin first.");
    }
    if (c.req.method === "POST") {
      const form = await c.req.parseBody();
      if (form._csrf !== session.csrfToken)
        throw AppError.forbidden("The form has expired. Reload the page and try again.");
    }
    c.set("admin", session);
    await next();
  };

  const page = (
    c: Context<AdminEnv>,
    title: string,
    body: Child,
    status: 200 | 400 | 404 | 409 | 502 | 503 = 200,
  ) =>
    c.html(
      <Layout
        title={title}
        csrfToken={c.var.admin.csrfToken}
        email={c.var.admin.user.email}
        notice={NOTICES[c.req.query("notice") ?? ""]}
      >
        {body}
      </Layout>,
      status,
    );

  /** The record id in the path, by the API's rule for ids; anything else names no record. */
  const idOf = (c: Context) => {
    const parsed = IdParamSchema.safeParse({ id: c.req.param("id") });
    if (!parsed.success) throw AppError.notFound("No such record.");
    return parsed.data.id;
  };

  admin.get("/login", async (c) => {
    if (await readAdminSession(c, config, store)) return c.redirect("/admin", 303);
    return c.html(
      <Layout title="Sign in">
        <LoginForm email="" />
      </Layout>,
    );
  });

  admin.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const email = String(form.email ?? "").trim();
    const password = String(form.password ?? "");
    const refuse = (error: string, status: 401 | 403 | 429) =>
      c.html(
        <Layout title="Sign in">
          <LoginForm email={email} error={error} />
        </Layout>,
        status,
      );
    try {
      const { user } = await logIn(deps, { email, password }, c.get("clientIp"));
      if (user.role !== "admin") return refuse("This account is not an admin.", 403);
      await startAdminSession(c, config, store, user);
      return c.redirect("/admin", 303);
    } catch (error) {
      if (error instanceof AppError && (error.kind === "unauthenticated" || error.kind === "rate-limited")) {
        for (const [name, value] of Object.entries(headersOf(error))) c.header(name, value);
        return refuse(error.detail, error.kind === "rate-limited" ? 429 : 401);
      }
      throw error;
    }
  });

  admin.use("*", requireAdmin);

  admin.post("/logout", async (c) => {
    await endAdminSession(c, config, store);
    return c.redirect("/admin/login", 303);
  });

  admin.get("/", async (c) => {
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

  admin.get("/reports/sales.csv", async (c) => {
    const { range, interval } = csvRange(c.req.query(), config.REPORT_TIMEZONE);
    const csv = salesCsv(await salesReport(store, config.CURRENCY, range, interval));
    return c.body(csv.body, 200, csvHeaders(csv.filename));
  });

  admin.get("/reports/products.csv", async (c) => {
    const { range } = csvRange(c.req.query(), config.REPORT_TIMEZONE);
    const csv = productsCsv(await productsReport(store, config.CURRENCY, range, 100));
    return c.body(csv.body, 200, csvHeaders(csv.filename));
  });

  admin.get("/products", async (c) => {
    const params = pageOf(c);
    const { rows, count } = await store.listProducts(params);
    const past = pastTheEnd(c, params.page, rows.length, count);
    if (past) return past;
    return page(
      c,
      "Products",
      <ProductList
        products={rows}
        page={params.page}
        count={count}
        pageSize={PAGE_SIZE}
        csrfToken={c.var.admin.csrfToken}
      />,
    );
  });

  const productForm = (
    c: Context<AdminEnv>,
    title: string,
    action: string,
    values = emptyProductForm(config.CURRENCY),
    errors = {},
  ) =>
    page(
      c,
      title,
      <ProductForm action={action} values={values} errors={errors} csrfToken={c.var.admin.csrfToken} />,
      Object.keys(errors).length > 0 ? 400 : 200,
    );

  admin.get("/products/new", (c) => productForm(c, "Add a product", "/admin/products"));

  admin.post("/products", async (c) => {
    const parsed = parseProductForm(await c.req.parseBody());
    if (!parsed.ok) return productForm(c, "Add a product", "/admin/products", parsed.values, parsed.errors);
    await store.createProduct(parsed.product);
    deps.catalog.changed();
    return c.redirect("/admin/products?notice=created", 303);
  });

  admin.get("/products/:id/edit", async (c) => {
    const product = await store.findProduct(idOf(c));
    if (!product) throw AppError.notFound("No such product.");
    return productForm(c, `Edit ${product.name}`, `/admin/products/${product.id}`, {
      name: product.name,
      description: product.description,
      price: formatMinor(product.priceMinor, product.currency),
      currency: product.currency,
      active: product.active ? "on" : "",
    });
  });

  admin.post("/products/:id", async (c) => {
    const id = idOf(c);
    const parsed = parseProductForm(await c.req.parseBody());
    if (!parsed.ok)
      return productForm(c, "Edit product", `/admin/products/${id}`, parsed.values, parsed.errors);
    if (!(await store.updateProduct(id, parsed.product))) throw AppError.notFound("No such product.");
    deps.catalog.changed();
    return c.redirect("/admin/products?notice=saved", 303);
  });

  admin.get("/products/:id/delete", async (c) => {
    const product = await store.findProduct(idOf(c));
    if (!product) throw AppError.notFound("No such product.");
    return page(
      c,
      `Delete ${product.name}?`,
      <DeleteProduct product={product} csrfToken={c.var.admin.csrfToken} />,
    );
  });

  admin.post("/products/:id/delete", async (c) => {
    const outcome = await store.removeProduct(idOf(c));
    deps.catalog.changed();
    if (outcome === "missing") throw AppError.notFound("No such product.");
    return c.redirect(`/admin/products?notice=${outcome}`, 303);
  });

  admin.get("/orders", async (c) => {
    const { filter, shown } = orderFilterOf(c.req.query(), config.REPORT_TIMEZONE);
    const params = pageOf(c);
    const { rows, count } = await store.listOrders(filter, params);
    const past = pastTheEnd(c, params.page, rows.length, count);
    if (past) return past;
    return page(
      c,
      "Orders",
      <OrderList
        orders={rows}
        page={params.page}
        count={count}
        pageSize={PAGE_SIZE}
        filter={shown}
        zone={config.REPORT_TIMEZONE}
      />,
    );
  });

  admin.get("/orders.csv", (c) => {
    const { filter, shown } = orderFilterOf(c.req.query(), config.REPORT_TIMEZONE);
    const dates = shown.from || shown.to ? `-${shown.from ?? "start"}-${shown.to ?? "today"}` : "";
    return c.body(exportOrdersCsv(store, filter), 200, csvHeaders(`orders${dates}.csv`));
  });

  const findOrder = async (c: Context) => {
    const order = await store.findOrder(idOf(c));
    if (!order) throw AppError.notFound("No such order.");
    return order;
  };

  /** The order page, with the reason the action just tried failed when one did. */
  const orderPage = async (c: Context<AdminEnv>, orderId: number, failure?: AppError) => {
    const order = await store.findOrder(orderId);
    if (!order) throw AppError.notFound("No such order.");
    // "Amount must be at most 25.00, what is left to refund."
    const fields = Object.entries(failure?.details.fields ?? {}).map(
      ([field, messages]) => `${field[0]?.toUpperCase()}${field.slice(1)} ${messages.join(", ")}.`,
    );
    return page(
      c,
      `Order #${order.id}`,
      <OrderDetail
        order={order}
        csrfToken={c.var.admin.csrfToken}
        zone={config.REPORT_TIMEZONE}
        refundable={refundableMinor(order)}
        problem={failure && (fields.length > 0 ? fields.join(" ") : failure.detail)}
      />,
      failure ? (statusOf(failure) as 400 | 409 | 502 | 503) : 200,
    );
  };

  /** Runs an order action; a refusal (bad amount, wrong state, Stripe down) is shown on the order's page. */
  const onOrder = async (c: Context<AdminEnv>, action: () => Promise<Response>) => {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof AppError) || error.kind === "not-found") throw error;
      return orderPage(c, idOf(c), error);
    }
  };

  admin.get("/orders/:id", async (c) => orderPage(c, (await findOrder(c)).id));

  admin.get("/orders/:id/refund", (c) =>
    onOrder(c, async () => {
      const order = await findOrder(c);
      const amountText = c.req.query("amount")?.trim();
      const amountMinor = refundAmount(amountText ?? "", order.currency, refundableMinor(order));
      return page(
        c,
        `Refund order #${order.id}?`,
        <RefundReview
          order={order}
          amountMinor={amountMinor}
          amountText={amountText ?? ""}
          reason={reasonOf(c.req.query("reason"))}
          csrfToken={c.var.admin.csrfToken}
        />,
      );
    }),
  );

  admin.post("/orders/:id/refunds", (c) =>
    onOrder(c, async () => {
      const form = await c.req.parseBody();
      const id = idOf(c);
      await refundOrder(deps.payments, id, {
        amount: String(form.amount ?? ""),
        reason: reasonOf(form.reason),
      });
      return c.redirect(`/admin/orders/${id}?notice=refunded`, 303);
    }),
  );

  admin.post("/orders/:id/cancel", (c) =>
    onOrder(c, async () => {
      const id = idOf(c);
      await cancelOrder(deps.payments, id, { id: c.var.admin.user.id, role: "admin" });
      return c.redirect(`/admin/orders/${id}?notice=cancelled`, 303);
    }),
  );

  admin.post("/refunds/:id/retry-crm", async (c) => {
    const refund = await store.findRefund(idOf(c));
    if (!refund) throw AppError.notFound("No such refund.");
    const queued = await deps.crm.retryRefund(refund.id);
    return c.redirect(`/admin/orders/${refund.orderId}?notice=${queued ? "resync" : "not-failed"}`, 303);
  });

  admin.post("/orders/:id/retry-crm", async (c) => {
    const id = idOf(c);
    const queued = await deps.crm.retry(id);
    return c.redirect(`/admin/orders/${id}?notice=${queued ? "resync" : "not-failed"}`, 303);
  });

  /** An error page that keeps the navigation for a signed-in admin. */
  const errorPage = async (c: Context<AdminEnv>, status: 400 | 403 | 404, detail: string) => {
    const session = c.var.admin ?? (await readAdminSession(c, config, store));
    const title = status === 404 ? "Not found" : status === 400 ? "Invalid request" : "Not allowed";
    return c.html(
      <Layout title={title} csrfToken={session?.csrfToken} email={session?.user.email}>
        <p role="alert">{detail}</p>
        <p>
          <a href="/admin">Back to the dashboard</a>
        </p>
      </Layout>,
      status,
    );
  };

  // A sub-app's notFound is not used once it is mounted, so the last route catches what nothing else did.
  admin.all("*", (c) => errorPage(c, 404, `There is no admin page at ${c.req.path}.`));

  admin.onError((error, c) => {
    if (!(error instanceof AppError) || !error.isRefusal) return handleError(error, c);
    const fields = Object.entries(error.details.fields ?? {}).map(
      ([field, messages]) => ` ${field}: ${messages.join(", ")}.`,
    );
    const status = error.kind === "not-found" ? 404 : error.kind === "invalid-input" ? 400 : 403;
    return errorPage(c, status, `${error.detail}${fields.join("")}`);
  });

  return admin;
}
