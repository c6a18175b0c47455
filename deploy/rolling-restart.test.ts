import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../db/open-store.ts";
import { type RunningSimulator, startStripeSimulator } from "../dev/stripe-simulator/server.ts";
import { TEST_LIMITS } from "../server/config.ts";
import { startTcpProxy } from "../tests/resilience/processes.ts";
import { freshDatabase, mysqlTarget } from "../tests/support.ts";
import { freePort } from "../tests/waiting.ts";
import {
  type Instance,
  insecure,
  missing,
  NGINX,
  renderUnit,
  restartService,
  type ServiceCommand,
  type Site,
  serviceCommand,
  startService,
  startSite,
} from "./harness.ts";
import { rollingRestart } from "./rolling-restart.ts";

const mysql = mysqlTarget();

/** One request a shopper made through nginx, as the shopper saw it. */
interface Call {
  at: number;
  method: string;
  path: string;
  sentId: string;
  status?: number;
  error?: string;
  contentType?: string;
  retryAfter?: string | null;
  headerId?: string | null;
  bodyId?: unknown;
}

const WEBHOOK_SECRET = "whsec_rolling_0123456789abcdefghij";

describe.skipIf(!NGINX || !mysql.url())(
  `two instances behind the shipped nginx, restarted one after the other and cut from MariaDB under load${missing("nginx", NGINX, "nginx")}${mysql.url() ? "" : " (skipped: TEST_MYSQL_URL is not set)"}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "rolling-test-"));
    const instances: Instance[] = [];
    const retired: Instance[] = [];
    let site: Site | undefined;
    let simulator: RunningSimulator;
    let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
    let ports: number[] = [];
    let commands: ServiceCommand[] = [];
    let productId = 0;

    let database: Awaited<ReturnType<typeof freshDatabase>> | undefined;

    beforeAll(async () => {
      // A database of its own: the load leaves thousands of pending orders that other suites must not see.
      database = await freshDatabase(mysql);
      const databaseUrl = database.url;
      const store = await openStore(databaseUrl);
      productId = (
        await store.createProduct({
          name: `Rolling product ${crypto.randomUUID()}`,
          description: "",
          priceMinor: 1200,
          currency: "usd",
        })
      ).id;
      await store.close();
      proxy = await startTcpProxy(Number(new URL(databaseUrl).port || 3306));
      const proxied = new URL(databaseUrl);
      proxied.port = String(proxy.port);

      const [portA, portB, httpPort, httpsPort] = await Promise.all([
        freePort(),
        freePort(),
        freePort(),
        freePort(),
      ]);
      simulator = startStripeSimulator({
        webhookSecret: WEBHOOK_SECRET,
        webhookUrl: `https://127.0.0.1:${httpsPort}/api/v1/payments/stripe/webhook`,
      });
      const environmentFile = join(dir, "orders.env");
      writeFileSync(
        environmentFile,
        [
          `DATABASE_URL=${proxied}`,
          "DB_TIMEOUT_MS=1000",
          `MEDIA_DIR=${join(dir, "media")}`,
          "WORKERS=1",
          "JWT_SECRET=rolling-test-secret-of-thirty-two-chars",
          "STRIPE_SECRET_KEY=sk_test_rolling",
          `STRIPE_WEBHOOK_SECRET=${WEBHOOK_SECRET}`,
          `STRIPE_API_BASE=${simulator.url}`,
          `APP_URL=https://127.0.0.1:${httpsPort}`,
          "CRM_URL=http://127.0.0.1:9/posts/add",
          "CRM_WORKER=off",
          ...Object.entries(TEST_LIMITS).map(([name, value]) => `${name}=${value}`),
          "",
        ].join("\n"),
      );
      const template = renderUnit("orders@.service", environmentFile);
      ports = [portA, portB];
      commands = ports.map((port) => serviceCommand(template, String(port)));
      for (const command of commands) instances.push(await startService(command));
      site = await startSite(dir, {
        mediaDir: join(dir, "media"),
        upstreamPorts: [portA, portB],
        listen: { http: httpPort, https: httpsPort },
        workerProcesses: 2,
      });
    }, 60_000);

    afterAll(async () => {
      for (const instance of instances) instance.process.kill("SIGTERM");
      await Promise.all([site?.stop(), ...instances.map((instance) => instance.process.exited)]);
      proxy?.stop();
      await simulator?.stop();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test("restarting both instances and a 5 s database cut: no nginx 502/504, no connection error, the cut answered by the app's 503 problems, every request id the same in nginx's log and the app's", async () => {
      const https = (site as Site).https;
      const calls: Call[] = [];
      let sequence = 0;
      const attempt = async (
        method: string,
        path: string,
        sentId: string,
        token?: string,
        body?: unknown,
      ) => {
        const record: Call = { at: Date.now(), method, path, sentId };
        calls.push(record);
        try {
          const response = await fetch(`${https}${path}`, {
            ...insecure,
            method,
            headers: {
              "X-Request-Id": sentId,
              "Content-Type": "application/json",
              ...(token ? { Authorization: `Bearer ${token}` } : {}),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const text = await response.text();
          record.status = response.status;
          record.contentType = response.headers.get("content-type") ?? "";
          record.retryAfter = response.headers.get("retry-after");
          record.headerId = response.headers.get("x-request-id");
          const parsed = record.contentType.includes("json") && text ? JSON.parse(text) : undefined;
          record.bodyId = parsed?.request_id;
          return { status: response.status, body: parsed };
        } catch (error) {
          record.error = error instanceof Error ? error.message : String(error);
          return undefined;
        }
      };
      const call = async (method: string, path: string, token?: string, body?: unknown) => {
        // Some GETs send an id the app would not keep: nginx must replace it as the app would.
        const id = ++sequence;
        const sentId = method === "GET" && id % 3 === 0 ? `not kept ${id}` : `rolling-${id}`;
        // A keep-alive connection nginx closes as it reloads can meet a request the client is just sending. A
        // browser sends it again (over HTTP/2 nginx even says which requests it did not take); so does this
        // client, once, and the test below proves that nginx never saw the first attempt.
        return (
          (await attempt(method, path, sentId, token, body)) ??
          (await attempt(method, path, sentId, token, body)) ?? { status: 0, body: undefined }
        );
      };

      // Customers registered on an instance directly: nginx allows only a few sign-ins a minute per address.
      const customers: { email: string; token: string }[] = [];
      for (let index = 0; index < 4; index++) {
        const email = `rolling-${index}-${crypto.randomUUID().slice(0, 8)}@example.test`;
        const registered = await fetch(`http://127.0.0.1:${ports[0]}/api/v1/auth/register`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ email, password: "correct horse battery" }),
        });
        expect(registered.status).toBe(201);
        customers.push({ email, token: ((await registered.json()) as { token: string }).token });
      }

      let running = true;
      const shop = async (customer: { token: string }) => {
        while (running) {
          await call("GET", "/api/v1/products/?page_size=5");
          const created = await call("POST", "/api/v1/orders/", customer.token, {
            items: [{ product_id: productId, quantity: 1 }],
          });
          if (created.status !== 201) continue;
          const id = (created.body as { id: number }).id;
          await call("POST", `/api/v1/orders/${id}/create-payment/`, customer.token, {});
          await call("GET", `/api/v1/orders/${id}`, customer.token);
        }
      };
      // Sign-ins stay under nginx's limit for one address (10 a minute after a burst of 5).
      const signIn = async () => {
        let turn = 0;
        while (running) {
          const customer = customers[turn++ % customers.length] as { email: string };
          await call("POST", "/api/v1/auth/login", undefined, {
            email: customer.email,
            password: "correct horse battery",
          });
          for (let waited = 0; running && waited < 7000; waited += 100) await Bun.sleep(100);
        }
      };
      const load = [...customers.map(shop), signIn()];

      await Bun.sleep(1000);
      const restartsFrom = Date.now();
      const restartLog: string[] = [];
      await rollingRestart({
        upstreamFile: (site as Site).upstreamFile,
        reloadNginx: () => (site as Site).reload(),
        restart: async (port) => {
          const index = ports.indexOf(port);
          const instance = instances[index] as Instance;
          retired.push(instance);
          instances[index] = await restartService(instance, commands[index] as ServiceCommand);
        },
        log: (line) => restartLog.push(line),
      });
      expect(restartLog).toEqual([
        ...ports.flatMap((port) => [
          `instance ${port}: out of nginx's rotation`,
          `instance ${port}: restarting`,
          `instance ${port}: ready`,
        ]),
        "every instance in nginx's rotation",
      ]);
      const restartsUntil = Date.now();
      await Bun.sleep(1000);

      const cutFrom = Date.now();
      proxy.cut();
      await Bun.sleep(5000);
      proxy.restore();
      const restoredAt = Date.now();
      await Bun.sleep(3000);
      running = false;
      await Promise.all(load);

      const phaseOf = (at: number) =>
        at < restartsFrom
          ? "before the restarts"
          : at <= restartsUntil
            ? "during the restarts"
            : at < cutFrom
              ? "before the cut"
              : at <= restoredAt
                ? "during the cut"
                : "after the cut";
      const describe = (one: Call) =>
        `${one.method} ${one.path} -> ${one.status} (${one.contentType}) ${phaseOf(one.at)}, ${one.at - cutFrom} ms from the cut, ${one.at - restoredAt} from the restore`;
      const answered = calls.filter((one) => one.status !== undefined);
      await Bun.sleep(300);
      const nginxLines = new Map<string, number>();
      for (const line of readFileSync(join(dir, "logs", "orders.access.log"), "utf8").split("\n")) {
        const id = /request_id=(\S+)/.exec(line)?.[1];
        if (id) nginxLines.set(id, (nginxLines.get(id) ?? 0) + 1);
      }
      // A reset attempt is harmless only when nginx never took it: its id logged once, for the answered resend.
      const resets = calls.filter((one) => one.error);
      const resent = (one: Call) =>
        answered.some((other) => other.sentId === one.sentId) &&
        (one.sentId.startsWith("not kept") ? one.method === "GET" : nginxLines.get(one.sentId) === 1);
      const summary = {
        calls: calls.length,
        connectionErrors: resets
          .filter((one) => !resent(one))
          .map((one) => `${one.method} ${one.path}: ${one.error}`),
        gatewayErrors: answered.filter((one) => one.status === 502 || one.status === 504).map(describe),
      };
      console.log(
        `rolling restart and cut: ${calls.length} requests, ${answered.filter((one) => (one.status ?? 0) < 300).length} 2xx, ${answered.filter((one) => one.status === 503).length} x 503, ${resets.length} reset before nginx took them and sent again`,
      );
      const nginxErrors = readFileSync(join(dir, "logs", "orders.error.log"), "utf8")
        .split("\n")
        .filter((line) => line.includes("upstream"));
      if (nginxErrors.length)
        console.log(`nginx's errors other than a refused connection:\n${nginxErrors.join("\n")}`);
      expect(summary).toEqual({ calls: calls.length, connectionErrors: [], gatewayErrors: [] });

      const restarts = answered.filter((one) => one.at >= restartsFrom && one.at <= restartsUntil);
      expect(restarts.length).toBeGreaterThan(50);
      expect(restarts.filter((one) => (one.status as number) >= 400).map(describe)).toEqual([]);

      // A request that started just before the cut may meet it (the database timeout is 1 s).
      const outside = answered.filter((one) => one.at < cutFrom - 1000 || one.at > restoredAt + 1000);
      expect(outside.filter((one) => (one.status as number) >= 400).map(describe)).toEqual([]);

      const cut = answered.filter((one) => one.at >= cutFrom - 1000 && one.at <= restoredAt + 1000);
      const refused = cut.filter((one) => (one.status as number) >= 400);
      expect(refused.length).toBeGreaterThan(10);
      expect(
        refused.filter(
          (one) =>
            !(
              one.status === 503 &&
              one.contentType === "application/problem+json" &&
              one.retryAfter &&
              one.bodyId &&
              one.bodyId === one.headerId
            ),
        ),
      ).toEqual([]);

      // Traffic is back within a second of the database: the first order made after it.
      const firstOrderAfter = answered.find(
        (one) => one.at >= restoredAt && one.path === "/api/v1/orders/" && one.status === 201,
      );
      expect(firstOrderAfter).toBeDefined();
      expect((firstOrderAfter as Call).at - restoredAt).toBeLessThan(1000);

      // Every request id the shoppers got back is the one nginx logged, and the one the app logged.
      const appIds = new Set(
        [...retired, ...instances]
          .flatMap((instance) => instance.output)
          .map((line) => {
            try {
              return JSON.parse(line).request_id as string | undefined;
            } catch {
              return undefined;
            }
          })
          .filter(Boolean),
      );
      const mismatched = answered
        .filter((one) => !one.headerId || !nginxLines.has(one.headerId) || !appIds.has(one.headerId))
        .map(describe);
      expect(mismatched).toEqual([]);
      const kept = answered.filter((one) => !one.sentId.startsWith("not kept"));
      expect(kept.every((one) => one.headerId === one.sentId)).toBe(true);
      const replaced = answered.filter((one) => one.sentId.startsWith("not kept"));
      expect(replaced.every((one) => one.headerId && one.headerId !== one.sentId)).toBe(true);
    }, 90_000);
  },
);
