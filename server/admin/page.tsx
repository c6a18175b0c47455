import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AuthDeps } from "../auth/service.ts";
import type { Config } from "../config.ts";
import type { CrmSync } from "../crm/sync.ts";
import { pageParams } from "../http/pagination.ts";
import { IdParamSchema, PageQuerySchema } from "../http/schemas.ts";
import type { PaymentDeps } from "../payments/service.ts";
import type { Catalog } from "../products/catalog.ts";
import { AppError } from "../shared/errors.ts";
import type { AdminSession } from "./session.ts";
import { Layout } from "./views.tsx";

/** What the admin pages work with. */
export type AdminDeps = AuthDeps & { crm: CrmSync; payments: PaymentDeps; catalog: Catalog };

const NOTICES = {
  created: "Product added.",
  saved: "Product saved.",
  deleted: "Product deleted.",
  deactivated:
    "Orders refer to this product, so it was deactivated instead of deleted; its orders keep their history.",
  resync: "CRM sync queued again.",
  "not-failed": "Only a failed CRM sync can be retried.",
  refunded: "Refund made at Stripe.",
  "refunded-razorpay": "Refund made at Razorpay.",
  cancelled: "Order cancelled.",
  "password-changed": "Password changed. Every other session and API token of yours has ended.",
} as const;

export type Notice = keyof typeof NOTICES;

const NOTICE_COOKIE = "admin_notice";

/**
 * Answers a form by sending the admin to `location`, which says `notice` once: the notice travels in a short-lived
 * cookie the next page clears, so reloading that page does not say it again.
 */
export function redirectWithNotice(c: Context, config: Config, location: string, notice: Notice) {
  setCookie(c, NOTICE_COOKIE, notice, {
    path: "/admin",
    httpOnly: true,
    sameSite: "Strict",
    secure: config.NODE_ENV === "production",
    maxAge: 60,
  });
  return c.redirect(location, 303);
}

function takeNotice(c: Context): string | undefined {
  const notice = getCookie(c, NOTICE_COOKIE);
  if (notice === undefined) return undefined;
  deleteCookie(c, NOTICE_COOKIE, { path: "/admin" });
  return Object.hasOwn(NOTICES, notice) ? NOTICES[notice as Notice] : undefined;
}

export const PAGE_SIZE = 25;

/** The page asked for in `?page=`, read by the API's own rule; anything it refuses is the first page. */
export const pageOf = (c: Context) => {
  const page = PageQuerySchema.shape.page.safeParse(c.req.query("page"));
  return pageParams({ page: page.success ? (page.data ?? 1) : 1, page_size: PAGE_SIZE });
};

export type AdminEnv = { Variables: { admin: AdminSession } };

/** A page number past the end (an old link, rows deleted since) goes to the last page, keeping the filters. */
export function pastTheEnd(
  c: Context,
  pageNumber: number,
  rows: number,
  count: number,
): Response | undefined {
  if (rows > 0 || count === 0 || pageNumber === 1) return undefined;
  const url = new URL(c.req.url);
  url.searchParams.set("page", String(Math.ceil(count / PAGE_SIZE)));
  return c.redirect(`${url.pathname}${url.search}`, 303);
}

/** A signed-in admin's page: the layout with the navigation, and the notice the last form left, once. */
export const page = (c: Context<AdminEnv>, title: string, body: Child, status: ContentfulStatusCode = 200) =>
  c.html(
    <Layout
      title={title}
      csrfToken={c.var.admin.csrfToken}
      email={c.var.admin.user.email}
      notice={takeNotice(c)}
    >
      {body}
    </Layout>,
    status,
  );

/** The record id in the path, by the API's rule for ids; anything else names no record. */
export const idOf = (c: Context) => {
  const parsed = IdParamSchema.safeParse({ id: c.req.param("id") });
  if (!parsed.success) throw AppError.notFound("No such record.");
  return parsed.data.id;
};
