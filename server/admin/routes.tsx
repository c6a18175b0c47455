import { type Context, Hono, type MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isKnownDevice, rememberDevice } from "../auth/known-device.ts";
import { logIn } from "../auth/service.ts";
import { limitBody } from "../http/body-limit.ts";
import { handleError, headersOf, statusOf } from "../http/problem.ts";
import { PICTURE_MAX_BYTES } from "../products/pictures.ts";
import { AppError } from "../shared/errors.ts";
import { dashboardPages } from "./dashboard-routes.tsx";
import { orderPages } from "./orders-routes.tsx";
import type { AdminDeps, AdminEnv } from "./page.tsx";
import { passwordPages } from "./password-routes.tsx";
import { productPages } from "./products-routes.tsx";
import { endAdminSession, readAdminSession, startAdminSession } from "./session.ts";
import { Layout, LoginForm } from "./views.tsx";

const PAGE_TITLES: Partial<Record<ContentfulStatusCode, string>> = {
  400: "Invalid request",
  401: "Sign in first",
  403: "Not allowed",
  404: "Not found",
  409: "Not possible now",
  413: "Too large",
  429: "Too many attempts",
};

/** The product form's two addresses (add, and edit): the forms that take a picture. */
const PRODUCT_FORM = /^\/admin\/products(\/\d+)?\/?$/;

/** Where sign-in may send an admin afterwards: an admin page of this site, however the address is spelt. */
export function adminPageAfterSignIn(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/admin")) return "/admin";
  const base = "http://admin.invalid";
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return "/admin";
  }
  const path = `${url.pathname}${url.search}`;
  if (url.origin !== base || !/^\/admin(\/|$)/.test(url.pathname) || url.pathname.startsWith("/admin/login"))
    return "/admin";
  return path;
}

/**
 * `/admin`: sign-in, then the dashboard, products and orders pages (each a sub-app of its own), all behind an admin
 * session with a CSRF token on every form.
 */
export function adminRoutes(deps: AdminDeps) {
  const { config, store } = deps;
  const allowedOrigins = new Set([new URL(config.APP_URL).origin]);
  const admin = new Hono<AdminEnv>({ strict: false });

  // The product form takes a picture of up to 5 MB (and its fields); every other form, BODY_LIMIT_BYTES.
  const formLimit = limitBody(config);
  const pictureFormLimit = limitBody(config, PICTURE_MAX_BYTES + config.BODY_LIMIT_BYTES);
  admin.use((c, next) =>
    c.req.method === "POST" && PRODUCT_FORM.test(c.req.path) ? pictureFormLimit(c, next) : formLimit(c, next),
  );
  admin.use(
    csrf({ origin: (origin, c) => allowedOrigins.has(origin) || origin === new URL(c.req.url).origin }),
  );

  const requireAdmin: MiddlewareHandler<AdminEnv> = async (c, next) => {
    const session = await readAdminSession(c, config, store);
    if (!session) {
      if (c.req.method === "GET") {
        const { pathname, search } = new URL(c.req.url);
        const wanted = adminPageAfterSignIn(pathname + search);
        return c.redirect(
          wanted === "/admin" ? "/admin/login" : `/admin/login?next=${encodeURIComponent(wanted)}`,
          303,
        );
      }
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

  admin.get("/login", async (c) => {
    const next = adminPageAfterSignIn(c.req.query("next"));
    if (await readAdminSession(c, config, store)) return c.redirect(next, 303);
    return c.html(
      <Layout title="Sign in" notice={next === "/admin" ? undefined : "Sign in to see that page."}>
        <LoginForm email="" next={next} />
      </Layout>,
    );
  });

  admin.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const email = String(form.email ?? "").trim();
    const password = String(form.password ?? "");
    const next = adminPageAfterSignIn(form.next);
    const refuse = (error: string, status: ContentfulStatusCode, headers: Record<string, string> = {}) =>
      c.html(
        <Layout title="Sign in">
          <LoginForm email={email} error={error} next={next} />
        </Layout>,
        status,
        headers,
      );
    try {
      const known = isKnownDevice(c, config, email);
      const { user } = await logIn(deps, { email, password }, c.get("clientIp"), known);
      rememberDevice(c, config, email);
      if (user.role !== "admin") return refuse("This account is not an admin.", 403);
      await startAdminSession(c, config, store, user);
      return c.redirect(next, 303);
    } catch (error) {
      if (error instanceof AppError && (error.kind === "unauthenticated" || error.kind === "rate-limited"))
        return refuse(error.detail, statusOf(error), headersOf(error));
      throw error;
    }
  });

  admin.use("*", requireAdmin);

  admin.post("/logout", async (c) => {
    await endAdminSession(c, config, store);
    return c.redirect("/admin/login", 303);
  });

  admin.route("/", dashboardPages(deps));
  admin.route("/", productPages(deps));
  admin.route("/", orderPages(deps));
  admin.route("/", passwordPages(deps));

  /** An error page that keeps the navigation for a signed-in admin. */
  const errorPage = async (
    c: Context<AdminEnv>,
    status: ContentfulStatusCode,
    detail: string,
    headers: Record<string, string> = {},
  ) => {
    const session = c.var.admin ?? (await readAdminSession(c, config, store));
    return c.html(
      <Layout
        title={PAGE_TITLES[status] ?? "Not possible"}
        csrfToken={session?.csrfToken}
        email={session?.user.email}
      >
        <p role="alert">{detail}</p>
        <p>
          <a href="/admin">Back to the dashboard</a>
        </p>
      </Layout>,
      status,
      headers,
    );
  };

  // A sub-app's notFound is not used once it is mounted, so the last route catches what nothing else did.
  admin.all("*", (c) => errorPage(c, 404, `There is no admin page at ${c.req.path}.`));

  admin.onError((error, c) => {
    if (!(error instanceof AppError) || !error.isRefusal) return handleError(error, c);
    const fields = Object.entries(error.details.fields ?? {}).map(
      ([field, messages]) => ` ${field}: ${messages.join(", ")}.`,
    );
    return errorPage(c, statusOf(error), `${error.detail}${fields.join("")}`, headersOf(error));
  });

  return admin;
}
