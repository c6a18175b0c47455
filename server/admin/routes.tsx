import { type Context, Hono, type MiddlewareHandler } from "hono";
import { csrf } from "hono/csrf";
import { logIn } from "../auth/service.ts";
import { handleError, headersOf } from "../http/problem.ts";
import { AppError } from "../shared/errors.ts";
import { dashboardPages } from "./dashboard-routes.tsx";
import { orderPages } from "./orders-routes.tsx";
import type { AdminDeps, AdminEnv } from "./page.tsx";
import { productPages } from "./products-routes.tsx";
import { endAdminSession, readAdminSession, startAdminSession } from "./session.ts";
import { Layout, LoginForm } from "./views.tsx";

/**
 * `/admin`: sign-in, then the dashboard, products and orders pages (each a sub-app of its own), all behind an admin
 * session with a CSRF token on every form.
 */
export function adminRoutes(deps: AdminDeps) {
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

  admin.route("/", dashboardPages(deps));
  admin.route("/", productPages(deps));
  admin.route("/", orderPages(deps));

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
