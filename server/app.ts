import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import type { Store } from "../db/store.ts";
import { adminRoutes } from "./admin/routes.tsx";
import { ADMIN_STYLESHEET } from "./admin/stylesheet.ts";
import { apiDocsRoutes } from "./api-docs/routes.ts";
import { KnownUsers } from "./auth/known-users.ts";
import { requireUser } from "./auth/middleware.ts";
import { authRoutes } from "./auth/routes.ts";
import { SignInLimits } from "./auth/sign-in-limits.ts";
import type { Config } from "./config.ts";
import { healthRoutes } from "./health/routes.ts";
import "./http/context.ts";
import { CrmSync } from "./crm/sync.ts";
import { limitBody } from "./http/body-limit.ts";
import { clientIp, type RemoteAddress } from "./http/client-ip.ts";
import { jsonLog, type LogSink, sinkFor } from "./http/logger.ts";
import { handleError, problemResponse } from "./http/problem.ts";
import { requestLog } from "./http/request-log.ts";
import { noStore, securityHeaders } from "./http/security-headers.ts";
import { type SiteFiles, staticUi } from "./http/static-ui.ts";
import { textAssetRoutes } from "./http/text-assets.ts";
import { Metrics, mayReadMetrics } from "./metrics/metrics.ts";
import { orderRoutes } from "./orders/routes.ts";
import { checkoutSources, createRazorpayClient, type RazorpayClient } from "./payments/razorpay-client.ts";
import { paymentRoutes } from "./payments/routes.ts";
import type { PaymentDeps } from "./payments/service.ts";
import { createStripeClient, type StripeClient } from "./payments/stripe-client.ts";
import { Catalog } from "./products/catalog.ts";
import { pictureRoutes } from "./products/picture-routes.ts";
import { productRoutes } from "./products/routes.ts";
import { refundRoutes } from "./refunds/routes.ts";
import { reportRoutes } from "./reports/routes.ts";
import type { PasswordHasher } from "./runtime/passwords.ts";

export interface AppDeps {
  config: Config;
  store: Store;
  passwords: PasswordHasher;
  remoteAddress: RemoteAddress;
  logSink?: LogSink;
  /** The server passes the CrmSync whose worker it runs; otherwise the app makes its own. */
  crm?: CrmSync;
  /** The server passes the Stripe client its refund reconciliation uses; otherwise the app makes its own. */
  stripe?: StripeClient;
  /** Likewise Razorpay's. */
  razorpay?: RazorpayClient;
  /** The process's metrics; the app makes its own when not given (the server shares one with its CRM worker). */
  metrics?: Metrics;
  /** The built customer site (`ui/dist`), served for GET paths no route answers when it holds an index.html. */
  site?: SiteFiles;
}

/**
 * `/api/v1`, chained so that its type carries every route: `hc<Api>` (tests/support.ts) is a client typed by it.
 */
function apiRoutes(
  deps: AppDeps & {
    signInLimits: SignInLimits;
    authenticated: MiddlewareHandler;
    catalog: Catalog;
    payments: PaymentDeps;
  },
) {
  const { config, store } = deps;
  const api = new OpenAPIHono({ strict: false });
  api.use("/auth/*", noStore);
  api.use("/auth/password", deps.authenticated);
  api.use("/orders/*", noStore, deps.authenticated);
  api.use("/reports/*", noStore, deps.authenticated);
  return api
    .route("/auth", authRoutes({ config, store, passwords: deps.passwords, signInLimits: deps.signInLimits }))
    .route("/", productRoutes(deps.catalog))
    .route("/", orderRoutes(store))
    .route("/", paymentRoutes(deps.payments))
    .route("/", refundRoutes(deps.payments))
    .route("/reports", reportRoutes(store, config));
}

/** The API's routes and their types, for typed clients. */
export type Api = ReturnType<typeof apiRoutes>;

export function createApp(deps: AppDeps) {
  const { config, store } = deps;
  const logSink = deps.logSink ?? sinkFor(config);
  const signInLimits = new SignInLimits(config, store);
  const authenticated = requireUser(config, new KnownUsers(store, config.AUTH_USER_CACHE_MS));
  const metrics = deps.metrics ?? Metrics.for(store);
  const log = metrics.tap(jsonLog(logSink));
  const crm = deps.crm ?? new CrmSync(config, store, log);

  const catalog = new Catalog(store, config.CATALOG_CHECK_MS);
  const payments = {
    config,
    store,
    stripe: deps.stripe ?? createStripeClient(config),
    razorpay: deps.razorpay ?? createRazorpayClient(config),
    crm,
    log,
  };
  const api = apiRoutes({ ...deps, signInLimits, authenticated, catalog, payments });

  api.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  const openApiConfig = {
    openapi: "3.1.0",
    info: {
      title: "Mini Order & Payment API",
      version: "1.0.0",
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers: [{ url: "/api/v1" }],
  };
  api.doc31("/openapi.json", openApiConfig);

  const app = new OpenAPIHono({ strict: false });
  app.use(clientIp(deps.remoteAddress, config.TRUSTED_PROXIES, (msg) => log({ level: "warn", msg })));
  app.use(requestId({ limitLength: 128 }));
  app.use(requestLog(logSink));
  app.use(metrics.middleware());
  app.use(securityHeaders(checkoutSources(config)));
  if (config.CORS_ORIGINS.length > 0) {
    app.use("/api/*", cors({ origin: config.CORS_ORIGINS, maxAge: 600, exposeHeaders: ["X-Request-Id"] }));
  }
  // The admin pages limit their bodies themselves, so that a refusal is a page there.
  app.use("/api/*", limitBody(config));
  // Before noStore: the stylesheet is the same for everyone and never changes under its name.
  app.route("/", textAssetRoutes([ADMIN_STYLESHEET]));
  app.use("/admin/*", noStore);
  const mayReadInternals = (c: Context) =>
    mayReadMetrics(
      deps.remoteAddress(c),
      { authorization: c.req.header("Authorization"), forwardedFor: c.req.header("X-Forwarded-For") },
      config.METRICS_TOKEN,
    );
  app.route("/", healthRoutes(store, mayReadInternals));
  app.get("/metrics", async (c) => {
    if (!mayReadInternals(c))
      return problemResponse(c, 404, `No route for GET ${c.req.path}.`, { type: "not-found" });
    return c.body(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType });
  });
  app.route(
    "/admin",
    adminRoutes({ config, store, passwords: deps.passwords, signInLimits, crm, payments, catalog }),
  );
  app.route("/api/v1", api);
  app.route("/", pictureRoutes(config));
  app.route("/", apiDocsRoutes(openApiConfig.info.title));
  const site = deps.site ? staticUi(deps.site) : undefined;
  if (site) app.get("*", ...site);
  app.notFound((c) =>
    problemResponse(c, 404, `No route for ${c.req.method} ${c.req.path}.`, { type: "not-found" }),
  );
  app.onError(handleError);
  return app;
}

export type App = ReturnType<typeof createApp>;
