import { type Context, Hono } from "hono";
import { REFUND_REASONS } from "../../db/enums.ts";
import { csvHeaders } from "../http/csv-response.ts";
import { statusOf } from "../http/problem.ts";
import { cancelOrder } from "../payments/cancellation.ts";
import { paymentProvider } from "../payments/provider.ts";
import { refundAmount, refundableMinor, refundOrder } from "../refunds/service.ts";
import { AppError } from "../shared/errors.ts";
import { CancelReview, OrderDetail, OrderList, RefundReview } from "./orders-views.tsx";
import {
  type AdminDeps,
  type AdminEnv,
  idOf,
  PAGE_SIZE,
  page,
  pageOf,
  pastTheEnd,
  redirectWithNotice,
} from "./page.tsx";
import { exportOrdersCsv, orderFilterOf } from "./service.ts";

type RefundReason = (typeof REFUND_REASONS)[number];
/** The form's reason: none when left empty, a 400 naming the field when it is not one of the refund reasons. */
const reasonOf = (value: unknown): RefundReason | undefined => {
  if (value === undefined || value === "") return undefined;
  const reason = REFUND_REASONS.find((known) => known === value);
  if (!reason) throw AppError.invalid({ reason: [`must be one of ${REFUND_REASONS.join(", ")}`] });
  return reason;
};

/** `/admin/orders`: the list and its CSV, an order's page, refunds, cancelling and CRM retries. */
export function orderPages(deps: AdminDeps) {
  const { config, store } = deps;
  const pages = new Hono<AdminEnv>({ strict: false });

  pages.get("/orders", async (c) => {
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

  pages.get("/orders.csv", (c) => {
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
        testMode={!config.STRIPE_SECRET_KEY?.includes("_live_")}
        problem={failure && (fields.length > 0 ? fields.join(" ") : failure.detail)}
      />,
      failure ? statusOf(failure) : 200,
    );
  };

  /** Runs an order action; a refusal (bad amount, wrong state, the payment provider down) is shown on the order's page. */
  const onOrder = async (c: Context<AdminEnv>, action: () => Promise<Response>) => {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof AppError) || error.kind === "not-found") throw error;
      return orderPage(c, idOf(c), error);
    }
  };

  pages.get("/orders/:id", async (c) => orderPage(c, (await findOrder(c)).id));

  pages.get("/orders/:id/refund", (c) =>
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

  pages.post("/orders/:id/refunds", (c) =>
    onOrder(c, async () => {
      const form = await c.req.parseBody();
      const id = idOf(c);
      const refund = await refundOrder(deps.payments, id, {
        amount: String(form.amount ?? ""),
        reason: reasonOf(form.reason),
      });
      const notice =
        paymentProvider(refund.paymentIntentId) === "razorpay" ? "refunded-razorpay" : "refunded";
      return redirectWithNotice(c, config, `/admin/orders/${id}`, notice);
    }),
  );

  pages.get("/orders/:id/cancel", (c) =>
    onOrder(c, async () => {
      const order = await findOrder(c);
      if (order.status !== "pending") {
        throw AppError.conflict(`Only an unpaid order can be cancelled; this one is ${order.status}.`);
      }
      return page(
        c,
        `Cancel order #${order.id}?`,
        <CancelReview order={order} csrfToken={c.var.admin.csrfToken} />,
      );
    }),
  );

  pages.post("/orders/:id/cancel", (c) =>
    onOrder(c, async () => {
      const id = idOf(c);
      await cancelOrder(deps.payments, id, { id: c.var.admin.user.id, role: "admin" });
      return redirectWithNotice(c, config, `/admin/orders/${id}`, "cancelled");
    }),
  );

  pages.post("/refunds/:id/retry-crm", async (c) => {
    const refund = await store.findRefund(idOf(c));
    if (!refund) throw AppError.notFound("No such refund.");
    const queued = await deps.crm.retryRefund(refund.id);
    return redirectWithNotice(c, config, `/admin/orders/${refund.orderId}`, queued ? "resync" : "not-failed");
  });

  pages.post("/orders/:id/retry-crm", async (c) => {
    const id = idOf(c);
    const queued = await deps.crm.retry(id);
    return redirectWithNotice(c, config, `/admin/orders/${id}`, queued ? "resync" : "not-failed");
  });

  return pages;
}
