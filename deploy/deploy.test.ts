import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateDatabase } from "../db/migrate-store.ts";
import { openStore } from "../db/open-store.ts";
import { seedDemoProducts } from "../server/products/demo-products.ts";
import { freePort } from "../tests/waiting.ts";
import {
  DEPLOY,
  type Instance,
  insecure,
  missing,
  NGINX,
  render,
  renderUnit,
  type Site,
  SYSTEMD_ANALYZE,
  serviceCommand,
  startService,
  startSite,
} from "./harness.ts";

describe.skipIf(!NGINX)(
  `deploy/nginx.conf on a real nginx in front of two Bun servers${missing("nginx", NGINX, "nginx")}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "deploy-test-"));
    const mediaDir = join(dir, "media");
    const instances: Instance[] = [];
    let site: Site | undefined;
    let https = "";
    let http = "";
    let databaseUrl = "";
    let environmentFile = "";
    let paidOrderId = 0;
    const crmPosts: Record<string, unknown>[] = [];
    const crm = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        crmPosts.push(await request.json());
        return Response.json({ id: 77 }, { status: 201 });
      },
    });

    beforeAll(async () => {
      const [portA, portB, httpPort, httpsPort] = await Promise.all([
        freePort(),
        freePort(),
        freePort(),
        freePort(),
      ]);
      http = `http://127.0.0.1:${httpPort}`;
      https = `https://127.0.0.1:${httpsPort}`;
      databaseUrl = `file:${join(dir, "app.db")}`;
      await migrateDatabase(databaseUrl);
      const store = await openStore(databaseUrl);
      await seedDemoProducts(store, "usd", mediaDir);
      const customer = await store.createUser({
        email: `deploy-paid-${crypto.randomUUID().slice(0, 8)}@example.test`,
        name: "",
        passwordHash: "not used",
        role: "customer",
      });
      const [product] = (await store.listActiveProducts({ limit: 1, offset: 0 })).rows;
      if (!product) throw new Error("the seed made no products");
      const order = await store.createOrder({
        userId: customer.id,
        currency: product.currency,
        lines: [{ productId: product.id, quantity: 1, unitPriceMinor: product.priceMinor }],
      });
      await store.markOrderPaid(order.id, {
        sessionId: "cs_test_deploy",
        paymentIntentId: null,
        paidAt: new Date(),
      });
      paidOrderId = order.id;
      await store.close();

      // One environment file for every unit, as docs/production.md has the operator write it. Its PORT must not win over
      // the template's instance port.
      environmentFile = join(dir, "orders.env");
      writeFileSync(
        environmentFile,
        [
          "PORT=3000",
          `DATABASE_URL=${databaseUrl}`,
          `MEDIA_DIR=${mediaDir}`,
          "WORKERS=1",
          "JWT_SECRET=deploy-test-secret-of-thirty-two-chars",
          "STRIPE_SECRET_KEY=sk_test_deploy",
          "STRIPE_WEBHOOK_SECRET=whsec_deploy_0123456789abcdefghij",
          "STRIPE_API_BASE=http://127.0.0.1:9",
          `APP_URL=${https}`,
          `CRM_URL=${crm.url}posts/add`,
          "CRM_WORKER=off",
          "",
        ].join("\n"),
      );
      const template = renderUnit("orders@.service", environmentFile);
      for (const port of [portA, portB]) {
        instances.push(await startService(serviceCommand(template, String(port))));
      }
      site = await startSite(dir, {
        mediaDir,
        upstreamPorts: [portA, portB],
        listen: { http: httpPort, https: httpsPort },
      });
    }, 60_000);

    afterAll(async () => {
      for (const instance of instances) instance.process.kill("SIGTERM");
      await Promise.all([site?.stop(), ...instances.map((instance) => instance.process.exited)]);
      crm.stop(true);
      rmSync(dir, { recursive: true, force: true });
    });

    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${https}${path}`, { ...insecure, headers });

    test("plain HTTP answers the certificate challenge from the webroot, and nginx -t accepts the bootstrap site", async () => {
      mkdirSync(join(dir, "acme", ".well-known", "acme-challenge"), { recursive: true });
      writeFileSync(join(dir, "acme", ".well-known", "acme-challenge", "token-123"), "token-123.key");
      const challenge = await fetch(`${http}/.well-known/acme-challenge/token-123`, { redirect: "manual" });
      expect(challenge.status).toBe(200);
      expect(await challenge.text()).toBe("token-123.key");
      const bootstrap = render(readFileSync(join(DEPLOY, "nginx-acme.conf"), "utf8"), [
        ["listen 80;", "listen 127.0.0.1:1;"],
        ["listen [::]:80;\n", ""],
        ["/var/www/letsencrypt", join(dir, "acme")],
      ]);
      writeFileSync(join(dir, "acme-site.conf"), bootstrap);
      writeFileSync(
        join(dir, "acme-nginx.conf"),
        readFileSync(join(dir, "nginx.conf"), "utf8").replace(
          `include ${dir}/site.conf;`,
          `include ${dir}/acme-site.conf;`,
        ),
      );
      const check = Bun.spawnSync([NGINX as string, "-t", "-p", dir, "-c", join(dir, "acme-nginx.conf")]);
      expect({ exitCode: check.exitCode, stderr: check.stderr.toString() }).toMatchObject({ exitCode: 0 });
    });

    test("nginx passes no spelling of /metrics on, and none of them shows the shop's page", async () => {
      for (const path of ["/metrics", "/metrics/", "/METRICS", "/Metrics/", "/metrics/anything"]) {
        const response = await get(path);
        const text = await response.text();
        expect({ path, status: response.status, metrics: text.includes("http_requests_total") }).toEqual({
          path,
          status: 404,
          metrics: false,
        });
        expect(text).not.toContain("spa-index");
      }
    });

    test("nginx's access log carries the request id the app logs, the instance that answered and the times", async () => {
      const id = `trace-${crypto.randomUUID()}`;
      await get("/api/v1/meta", { "X-Request-Id": id });
      await Bun.sleep(300);
      const access = readFileSync(join(dir, "logs", "orders.access.log"), "utf8")
        .split("\n")
        .find((line) => line.includes(id));
      expect(access).toMatch(
        /upstream=127\.0\.0\.1:\d+ upstream_status=200 request_time=[\d.]+ upstream_time=[\d.]+/,
      );
      const appLine = instances.flatMap((instance) => instance.output).find((line) => line.includes(id));
      expect(JSON.parse(appLine as string)).toMatchObject({
        request_id: id,
        path: "/api/v1/meta",
        status: 200,
      });
    });

    test("plain HTTP is redirected to HTTPS", async () => {
      const response = await fetch(`${http}/orders`, { redirect: "manual" });
      expect(response.status).toBe(301);
      expect(response.headers.get("Location")).toBe(`https://127.0.0.1/orders`);
    });

    test("serves the SPA's index, never cached, for / and for deep links", async () => {
      for (const path of ["/", "/orders/42/payment-result?session_id=cs_test_1"]) {
        const response = await get(path);
        expect(response.status).toBe(200);
        expect(await response.text()).toContain("spa-index");
        expect(response.headers.get("Cache-Control")).toBe("no-cache");
        expect(response.headers.get("Strict-Transport-Security")).toContain("max-age=31536000");
        expect(response.headers.get("Content-Security-Policy")).toContain("default-src 'self'");
      }
    });

    test("hashed assets are cached for a year as immutable, and gzipped", async () => {
      const response = await get("/assets/app-3f9a1c.js", { "Accept-Encoding": "gzip" });
      expect(response.status).toBe(200);
      expect(response.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
      expect(response.headers.get("Content-Encoding")).toBe("gzip");
      expect((await get("/assets/missing-123.js")).status).toBe(404);
    });

    test("the API reference's files come through the proxy, the 1.7 MB Swagger UI script gzipped", async () => {
      const page = await get("/api/docs");
      expect(page.status).toBe(200);
      const script = /src="(\/api\/docs\/static\/[\w.]+\/swagger-ui-bundle\.js)"/.exec(
        await page.text(),
      )?.[1];
      expect(script).toBeString();
      const response = await get(script as string, { "Accept-Encoding": "gzip" });
      expect(response.status).toBe(200);
      expect(response.headers.get("Content-Encoding")).toBe("gzip");
      expect(response.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    });

    test("proxies the API with a request id, and spreads requests over both instances", async () => {
      for (let index = 0; index < 10; index++) {
        const response = await get("/api/v1/products/");
        expect(response.status).toBe(200);
        expect((await response.json()).count).toBe(6);
        expect(response.headers.get("X-Request-Id")).toMatch(/^[0-9a-f]{32}$/);
      }
      const traced = await get("/api/v1/products/", { "X-Request-Id": "trace-abc-123" });
      expect(traced.headers.get("X-Request-Id")).toBe("trace-abc-123");
      await Bun.sleep(200);
      const served = instances.map(
        (instance) => instance.output.filter((line) => line.includes('"path":"/api/v1/products"')).length,
      );
      expect(served.every((count) => count > 0)).toBe(true);
      expect(served.reduce((a, b) => a + b, 0)).toBe(11);
    });

    test("product pictures are served by nginx straight from MEDIA_DIR, cached for a year; unknown ones are 404", async () => {
      const products = await (await get("/api/v1/products/")).json();
      const image = products.results[0]?.image;
      expect(image?.url).toMatch(/^\/media\/products\/[0-9a-f]{64}-1280\.webp$/);
      const picture = await get(image.url);
      expect(picture.status).toBe(200);
      expect(picture.headers.get("Content-Type")).toBe("image/webp");
      expect(picture.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
      // The app answers with a request id; nginx serving the file itself does not.
      expect(picture.headers.get("X-Request-Id")).toBeNull();
      expect((await picture.arrayBuffer()).byteLength).toBe(
        readFileSync(join(mediaDir, image.url.slice("/media/products/".length))).byteLength,
      );
      expect((await get("/media/products/missing-640.webp")).status).toBe(404);
    });

    test("the app sees the real client address, which a forged X-Forwarded-For cannot change", async () => {
      // The client must not share nginx's address (127.0.0.1, a trusted proxy), as no real client would.
      await new Promise<void>((resolve, reject) => {
        const url = new URL(`${https}/healthz`);
        const request = httpsRequest(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            localAddress: "127.0.0.5",
            rejectUnauthorized: false,
            headers: { "X-Forwarded-For": "6.6.6.6", "X-Request-Id": "forged-xff" },
          },
          (response) => response.resume().on("end", resolve),
        );
        request.on("error", reject).end();
      });
      await Bun.sleep(200);
      const line = instances
        .flatMap((instance) => instance.output)
        .find((entry) => entry.includes("forged-xff"));
      expect(JSON.parse(line as string).ip).toBe("127.0.0.5");
    });

    test("the admin page is proxied to Bun", async () => {
      const redirect = await fetch(`${https}/admin`, { ...insecure, redirect: "manual" });
      expect(redirect.status).toBe(303);
      expect(redirect.headers.get("Location")).toBe("/admin/login");
      const login = await get("/admin/login");
      expect(login.status).toBe(200);
      expect(await login.text()).toContain("Shop admin");
    });

    /**
     * Twelve sign-ins from an address of their own (nginx's limit is per client address): which were answered, and
     * whether nginx itself refused any (its own error page, not the app's answer).
     */
    const signInsFrom = async (localAddress: string, path: string, type: string, body: string) => {
      const url = new URL(`${https}${path}`);
      const once = () =>
        new Promise<{ status: number; byNginx: boolean }>((resolve, reject) => {
          const request = httpsRequest(
            {
              host: url.hostname,
              port: url.port,
              path: url.pathname,
              method: "POST",
              localAddress,
              rejectUnauthorized: false,
              headers: { "Content-Type": type, Origin: https },
            },
            (response) => {
              let text = "";
              response.setEncoding("utf8").on("data", (chunk: string) => {
                text += chunk;
              });
              response.on("end", () =>
                resolve({
                  status: response.statusCode ?? 0,
                  byNginx: text.includes("<center>nginx</center>"),
                }),
              );
            },
          );
          request.on("error", reject).end(body);
        });
      const answers: { status: number; byNginx: boolean }[] = [];
      for (let attempt = 0; attempt < 12; attempt++) answers.push(await once());
      return answers;
    };

    test("every spelling of the admin's sign-in is rate limited by nginx like the API's", async () => {
      const body = new URLSearchParams({
        email: "nobody@example.test",
        password: "not the password",
      }).toString();
      const form = "application/x-www-form-urlencoded";
      for (const [address, path] of [
        ["127.0.0.7", "/admin/login"],
        ["127.0.0.8", "/admin/login/"],
      ] as const) {
        const answers = await signInsFrom(address, path, form, body);
        expect({ path, first: answers.slice(0, 3).map((answer) => answer.status) }).toEqual({
          path,
          first: [401, 401, 401],
        });
        expect({
          path,
          nginxRefused: answers.some((answer) => answer.byNginx && answer.status === 429),
        }).toEqual({
          path,
          nginxRefused: true,
        });
      }
    });

    test("every spelling of the API's sign-in is rate limited by nginx after its burst", async () => {
      const credentials = {
        email: `deploy-${crypto.randomUUID().slice(0, 8)}@example.test`,
        password: "correct horse battery",
      };
      const body = JSON.stringify(credentials);
      const register = await fetch(`${https}/api/v1/auth/register`, {
        ...insecure,
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      });
      expect(register.status).toBe(201);
      for (const [address, path] of [
        ["127.0.0.10", "/api/v1/auth/login"],
        ["127.0.0.11", "/api/v1/auth/login/"],
      ] as const) {
        const answers = await signInsFrom(address, path, "application/json", body);
        expect({ path, first: answers.slice(0, 3).map((answer) => answer.status) }).toEqual({
          path,
          first: [200, 200, 200],
        });
        const refusals = answers.filter((answer) => answer.status !== 200);
        expect(refusals.length).toBeGreaterThan(0);
        expect(refusals.every((answer) => answer.status === 429 && answer.byNginx)).toBe(true);
      }
    });

    test("the CRM timer's unit runs one sync pass that posts the paid order", async () => {
      const command = serviceCommand(renderUnit("orders-crm-sync.service", environmentFile));
      const pass = Bun.spawn(command.argv, {
        cwd: command.cwd,
        env: command.env,
        stdout: "pipe",
        stderr: "pipe",
      });
      const [exitCode, stdout, stderr] = await Promise.all([
        pass.exited,
        new Response(pass.stdout).text(),
        new Response(pass.stderr).text(),
      ]);
      expect({ exitCode, stderr }).toMatchObject({ exitCode: 0 });
      expect(stdout).toContain('"msg":"crm sync pass finished","attempted":1');
      expect(crmPosts.map((post) => post.order_id)).toEqual([paidOrderId]);
      const store = await openStore(databaseUrl);
      const order = await store.findOrder(paidOrderId);
      await store.close();
      expect(order?.crmSyncStatus).toBe("success");
    });
  },
);

describe.skipIf(!SYSTEMD_ANALYZE)(
  `systemd units${missing("systemd-analyze", SYSTEMD_ANALYZE, "systemd")}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "units-test-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test("pass systemd-analyze verify, and their security exposure is at most 2.0", () => {
      const analyze = SYSTEMD_ANALYZE as string;
      writeFileSync(join(dir, "orders.env"), "DATABASE_URL=file:/var/lib/orders/app.db\n");
      const units = ["orders.service", "orders@.service", "orders-crm-sync.service", "orders-crm-sync.timer"];
      for (const unit of units) writeFileSync(join(dir, unit), renderUnit(unit, join(dir, "orders.env")));
      for (const unit of [
        "orders.service",
        "orders@3001.service",
        "orders-crm-sync.service",
        "orders-crm-sync.timer",
      ]) {
        const verify = Bun.spawnSync([analyze, "verify", join(dir, unit)], { cwd: dir });
        const messages = `${verify.stdout}${verify.stderr}`.trim();
        expect({
          unit,
          exitCode: verify.exitCode,
          messages: messages
            .split("\n")
            .filter((line) => !/Failed to .*(group|user)|mount/i.test(line) && line),
        }).toEqual({
          unit,
          exitCode: 0,
          messages: [],
        });
      }
      for (const unit of ["orders.service", "orders-crm-sync.service"]) {
        const security = Bun.spawnSync([analyze, "security", "--offline=true", join(dir, unit)]);
        const overall = `${security.stdout}`
          .split("\n")
          .find((line) => line.includes("Overall exposure level"));
        console.log(`systemd-analyze security ${unit}: ${overall?.replace(/^→\s*/, "").trim()}`);
        const exposure = Number(/:\s*(\d+(?:\.\d+)?)/.exec(overall ?? "")?.[1]);
        expect({ unit, exposure: exposure <= 2.0 }).toEqual({ unit, exposure: true });
      }
    });
  },
);
