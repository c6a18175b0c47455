import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import swaggerUiPackage from "swagger-ui-dist/package.json" with { type: "json" };
import { openStore } from "../db/open-store.ts";
import type { Store } from "../db/store.ts";
import { freshTempDir, registerCustomer, request, storeTargets, useApp } from "../tests/support.ts";
import { createApp } from "./app.ts";
import { testConfig } from "./config.ts";
import { bunPasswordHasher } from "./runtime/passwords.ts";

for (const target of storeTargets()) {
  target.describe(`HTTP behaviour on ${target.name}`, () => {
    const stack = useApp(target);

    /** The real app over the real store, with one store method replaced by a failure. */
    function appWithFailing(method: keyof Store, error: Error, logs: string[] = []) {
      const store = new Proxy(stack.store, {
        get(real, property, receiver) {
          if (property === method) return () => Promise.reject(error);
          const value = Reflect.get(real, property, receiver);
          return typeof value === "function" ? value.bind(real) : value;
        },
      });
      return createApp({
        config: stack.config,
        store,
        passwords: bunPasswordHasher,
        remoteAddress: () => "127.0.0.1",
        logSink: (line) => logs.push(line),
      });
    }

    test("an unknown route is a 404 problem", async () => {
      const response = await request(stack.app, "GET", "/api/v1/nope");
      expect(response.status).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(await response.json()).toMatchObject({
        status: 404,
        title: "Not Found",
        instance: "/api/v1/nope",
      });
    });

    test("every answer carries X-Request-Id, keeping a sane incoming one and replacing a hostile one", async () => {
      const generated = await request(stack.app, "GET", "/healthz");
      expect(generated.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
      const kept = await request(stack.app, "GET", "/api/v1/nope", {
        headers: { "X-Request-Id": "abc-123" },
      });
      expect(kept.headers.get("X-Request-Id")).toBe("abc-123");
      expect((await kept.json()).request_id).toBe("abc-123");
      const hostile = await request(stack.app, "GET", "/healthz", {
        headers: { "X-Request-Id": "<script>" },
      });
      expect(hostile.headers.get("X-Request-Id")).not.toBe("<script>");
    });

    test("an unexpected error is a 500 problem that reveals nothing but the request id, which is logged", async () => {
      const logs: string[] = [];
      const app = appWithFailing("listActiveProducts", new Error("secret internal detail at db.ts:42"), logs);
      const response = await app.request("/api/v1/products/");
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(text).not.toContain("secret internal detail");
      const problem = JSON.parse(text);
      expect(problem.request_id).toBe(response.headers.get("X-Request-Id") as string);
      expect(
        logs.some((line) => line.includes(problem.request_id) && line.includes("secret internal detail")),
      ).toBe(true);
    });

    test("an unreachable database is a 503 problem and /readyz says not ready", async () => {
      const down = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:3306"), { code: "ECONNREFUSED" });
      const app = appWithFailing("listActiveProducts", down);
      const response = await app.request("/api/v1/products/");
      expect(response.status).toBe(503);
      expect(response.headers.get("Retry-After")).toBe("5");
      const notReady = await appWithFailing("ping", down).request("/readyz");
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        status: "not ready",
        database: "unreachable",
        detail: "connect ECONNREFUSED 127.0.0.1:3306",
      });
      const denied = Object.assign(new Error("Access denied for user 'orders'@'127.0.0.1'"), {
        code: "ER_ACCESS_DENIED_ERROR",
      });
      expect(await (await appWithFailing("ping", denied).request("/readyz")).json()).toMatchObject({
        database: "access denied",
        detail: "Access denied for user 'orders'@'127.0.0.1'",
      });
    });

    test("/readyz through the proxy says only that the shop is unavailable; the database's words stay in the log", async () => {
      // A user name of its own: the log names each cause once a minute, and other tests meet the same one.
      const user = `orders_${crypto.randomUUID().slice(0, 8)}`;
      const denied = Object.assign(
        new Error(`Access denied for user '${user}'@'127.0.0.1' (using password: YES)`),
        { code: "ER_ACCESS_DENIED_ERROR" },
      );
      const logs: string[] = [];
      const response = await appWithFailing("ping", denied, logs).request("/readyz", {
        headers: { "X-Forwarded-For": "203.0.113.9" },
      });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: "unavailable" });
      expect(logs.map((line) => JSON.parse(line)).some((line) => String(line.error).includes(user))).toBe(
        true,
      );
    });

    test("/healthz and /readyz answer when all is well", async () => {
      expect(await (await request(stack.app, "GET", "/healthz")).json()).toEqual({ status: "ok" });
      expect((await request(stack.app, "GET", "/readyz")).status).toBe(200);
    });

    test("the OpenAPI 3.1 document lists every endpoint, and /api/docs shows it", async () => {
      const document = await (await request(stack.app, "GET", "/api/v1/openapi.json")).json();
      expect(document.openapi).toBe("3.1.0");
      expect(Object.keys(document.paths).sort()).toEqual(
        [
          "/auth/login",
          "/auth/password",
          "/auth/register",
          "/meta",
          "/orders",
          "/orders/{id}",
          "/orders/{id}/cancel",
          "/orders/{id}/confirm-payment",
          "/orders/{id}/create-payment",
          "/orders/{id}/refunds",
          "/payments/razorpay/webhook",
          "/payments/stripe/webhook",
          "/products",
          "/reports/products",
          "/reports/sales",
          "/reports/summary",
        ].sort(),
      );
      expect(document.components.schemas.Order).toBeDefined();
      expect(Object.keys(document.paths["/reports/sales"].get.responses["200"].content)).toEqual([
        "application/json",
        "text/csv",
      ]);
      const docs = await request(stack.app, "GET", "/api/docs");
      expect(docs.headers.get("content-type")).toContain("text/html");
      const page = await docs.text();
      expect(page).toContain('<main id="swagger-ui">');
      const start = /src="(\/api\/docs\/static\/start-swagger-ui-\w+\.js)"/.exec(page)?.[1] as string;
      expect(await (await request(stack.app, "GET", start)).text()).toContain('url: "/api/v1/openapi.json"');
    });

    test("the OpenAPI document passes Redocly's recommended rules with no error and no warning", async () => {
      const dir = freshTempDir();
      const file = join(dir, "openapi.json");
      writeFileSync(file, await (await request(stack.app, "GET", "/api/v1/openapi.json")).text());
      const lint = Bun.spawn(
        [
          join(import.meta.dirname, "..", "node_modules", ".bin", "redocly"),
          "lint",
          file,
          "--extends",
          "recommended",
          "--format",
          "json",
        ],
        {
          cwd: dir,
          env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      const [output] = await Promise.all([new Response(lint.stdout).text(), lint.exited]);
      const problems = (
        JSON.parse(output) as {
          problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
        }
      ).problems.map((problem) => `${problem.ruleId} ${problem.location[0]?.pointer}: ${problem.message}`);
      expect(problems).toEqual([]);
    }, 60_000);

    test("/meta takes no parameters: one it does not know is a 400 naming it", async () => {
      const response = await request(stack.app, "GET", "/api/v1/meta?currency=eur");
      expect(response.status).toBe(400);
      expect((await response.json()).errors).toEqual({ currency: ["is not accepted here"] });
      expect((await request(stack.app, "GET", "/api/v1/meta")).status).toBe(200);
    });

    test("each request is logged as one JSON line with method, path, status, duration and request id", async () => {
      const logs: string[] = [];
      const app = createApp({
        config: testConfig({ DATABASE_URL: stack.config.DATABASE_URL }),
        store: stack.store,
        passwords: bunPasswordHasher,
        remoteAddress: () => "192.0.2.7",
        logSink: (line) => logs.push(line),
      });
      const response = await app.request("/api/v1/products/?page=1");
      expect(logs).toHaveLength(1);
      expect(JSON.parse(logs[0] as string)).toMatchObject({
        msg: "request",
        method: "GET",
        path: "/api/v1/products",
        status: 200,
        duration_ms: expect.any(Number),
        request_id: response.headers.get("X-Request-Id"),
        ip: "192.0.2.7",
      });
    });

    test("security headers are set, with a Content-Security-Policy that runs no inline style or script at all", async () => {
      const response = await request(stack.app, "GET", "/healthz");
      expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(response.headers.get("X-Frame-Options")).toBe("SAMEORIGIN");
      for (const path of ["/admin/login", "/api/docs"]) {
        const page = await request(stack.app, "GET", path);
        const policy = page.headers.get("Content-Security-Policy") as string;
        expect(policy).toContain("default-src 'self'");
        expect(policy).toContain("script-src 'self';");
        expect(policy).toContain("frame-ancestors 'none'");
        expect(policy).toContain("style-src 'self';");
        const html = await page.text();
        expect(html).not.toContain("<style");
        expect(html).not.toContain(" style=");
        expect(html).not.toMatch(/<script>/);
      }
    });

    test("the API's answers carry OWASP's headers for APIs: nothing may frame or load them, and no document-only header", async () => {
      for (const path of ["/api/v1/products/?page=1", "/api/v1/orders/1/", "/api/v1/no-such-route"]) {
        const response = await request(stack.app, "GET", path);
        expect({ path, status: response.status < 500 }).toEqual({ path, status: true });
        expect(response.headers.get("Content-Security-Policy")).toBe(
          "default-src 'none'; frame-ancestors 'none'",
        );
        expect(response.headers.get("X-Frame-Options")).toBe("DENY");
        expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
        expect(response.headers.get("Strict-Transport-Security")).toStartWith("max-age=");
        expect(response.headers.get("Cross-Origin-Resource-Policy")).toBe("same-origin");
        expect(response.headers.get("X-Request-Id")).toBeTruthy();
        for (const documentOnly of [
          "Cross-Origin-Opener-Policy",
          "Referrer-Policy",
          "Origin-Agent-Cluster",
          "X-XSS-Protection",
          "X-DNS-Prefetch-Control",
          "X-Download-Options",
          "X-Permitted-Cross-Domain-Policies",
        ])
          expect({ path, [documentOnly]: response.headers.get(documentOnly) }).toEqual({
            path,
            [documentOnly]: null,
          });
      }
      const page = await request(stack.app, "GET", "/admin/login");
      expect(page.headers.get("Referrer-Policy")).toBe("no-referrer");
      expect(page.headers.get("Content-Security-Policy")).toContain("default-src 'self'");
    });

    test("the pages' stylesheets and scripts are files named by their content, cached for a year and not behind sign-in", async () => {
      for (const path of ["/admin/login", "/api/docs"]) {
        const html = await (await request(stack.app, "GET", path)).text();
        const linked = [...html.matchAll(/(?:href|src)="(\/(?:admin|api\/docs)\/static\/[\w./-]+)"/g)].map(
          (match) => match[1] as string,
        );
        expect(linked.length).toBeGreaterThanOrEqual(path === "/api/docs" ? 4 : 1);
        for (const asset of linked) {
          const response = await request(stack.app, "GET", asset);
          const body = await response.text();
          expect({ asset, status: response.status, cache: response.headers.get("Cache-Control") }).toEqual({
            asset,
            status: 200,
            cache: "public, max-age=31536000, immutable",
          });
          expect(response.headers.get("Content-Type")).toMatch(/^text\/(css|javascript); charset=utf-8$/);
          // Ours are named by a hash of their content, Swagger UI's by the version of the package they come from.
          const hash = createHash("sha256").update(body).digest("hex").slice(0, 10);
          const version = `/${swaggerUiPackage.version}/`;
          expect(asset.includes(`-${hash}.`) || asset.includes(version)).toBe(true);
        }
      }
      const stale = await request(stack.app, "GET", "/api/docs/static/swagger-ui-0000000000.css");
      expect(stale.status).toBe(404);
    });

    test("answers with a customer's or an admin's data are never stored by caches; the catalog may be", async () => {
      const customer = await registerCustomer(stack.app);
      for (const [path, token] of [
        ["/api/v1/orders/", customer.token],
        ["/api/v1/reports/summary/", customer.token],
        ["/api/v1/orders/", undefined],
        ["/admin/login", undefined],
      ] as const) {
        const response = await request(stack.app, "GET", path, { token });
        expect({ path, cache: response.headers.get("Cache-Control") }).toEqual({ path, cache: "no-store" });
      }
      const signIn = await request(stack.app, "POST", "/api/v1/auth/login", {
        body: { email: customer.email, password: customer.password },
      });
      expect(signIn.headers.get("Cache-Control")).toBe("no-store");
      expect((await request(stack.app, "GET", "/api/v1/products/")).headers.get("Cache-Control")).toBe(
        "public, max-age=1",
      );
    });

    test("/readyz names a database that was never migrated", async () => {
      const unmigrated = await openStore(`file:${join(freshTempDir(), "empty.db")}`);
      try {
        const app = createApp({
          config: stack.config,
          store: unmigrated,
          passwords: bunPasswordHasher,
          remoteAddress: () => "127.0.0.1",
        });
        const response = await app.request("/readyz");
        expect(response.status).toBe(503);
        expect(await response.json()).toEqual({
          status: "not ready",
          database: "not migrated",
          detail: "the database has no tables yet: run bun run db:migrate",
        });
      } finally {
        await unmigrated.close();
      }
    });
  });
}

describe("routing", () => {
  // Hono's SmartRouter falls back to its trie router, several times slower on every request, as soon as one route
  // puts a fixed segment beside a parameter (GET /admin/products/new beside /admin/products/:id/edit did).
  test("every route fits Hono's regular-expression router, so no request pays for the slower trie", async () => {
    const app = createApp({
      config: testConfig(),
      store: {} as Store,
      passwords: bunPasswordHasher,
      remoteAddress: () => "127.0.0.1",
      logSink: () => undefined,
    });
    await app.request("/healthz");
    expect(app.router.name).toBe("SmartRouter + RegExpRouter");
  });
});

describe("client IP behind proxies", () => {
  const appSeenFrom = (peer: string, trusted: string) => {
    const logs: string[] = [];
    const app = createApp({
      config: testConfig({ TRUSTED_PROXIES: trusted }),
      store: {} as Store,
      passwords: bunPasswordHasher,
      remoteAddress: () => peer,
      logSink: (line) => logs.push(line),
    });
    return async (forwardedFor?: string) => {
      await app.request("/healthz", { headers: forwardedFor ? { "X-Forwarded-For": forwardedFor } : {} });
      return JSON.parse(logs.at(-1) as string).ip;
    };
  };

  test("X-Forwarded-For is believed from a trusted proxy, up to the first untrusted hop", async () => {
    const ipOf = appSeenFrom("127.0.0.1", "127.0.0.1,10.0.0.5");
    expect(await ipOf("203.0.113.9")).toBe("203.0.113.9");
    expect(await ipOf("1.1.1.1, 203.0.113.9, 10.0.0.5")).toBe("203.0.113.9");
    expect(await ipOf()).toBe("127.0.0.1");
  });

  test("X-Forwarded-For from anyone else is ignored", async () => {
    const ipOf = appSeenFrom("198.51.100.4", "127.0.0.1");
    expect(await ipOf("203.0.113.9")).toBe("198.51.100.4");
  });

  test("a forwarded request from a peer that is not a trusted proxy is logged as a warning, once", async () => {
    const logs: string[] = [];
    const app = createApp({
      config: testConfig({ TRUSTED_PROXIES: "10.0.0.5", LOG_LEVEL: "info" }),
      store: {} as Store,
      passwords: bunPasswordHasher,
      remoteAddress: () => "127.0.0.1",
      logSink: (line) => logs.push(line),
    });
    for (let index = 0; index < 3; index++) {
      await app.request("/healthz", { headers: { "X-Forwarded-For": "203.0.113.9" } });
    }
    const warnings = logs.map((line) => JSON.parse(line)).filter((line) => line.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0].msg).toContain("127.0.0.1, which is not in TRUSTED_PROXIES");
  });

  test("IPv4-mapped IPv6 peers match their IPv4 proxy entry", async () => {
    const ipOf = appSeenFrom("::ffff:127.0.0.1", "127.0.0.1");
    expect(await ipOf("203.0.113.9")).toBe("203.0.113.9");
  });
});
