import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { migrateDatabase } from "../db/migrate-store.ts";
import { openStore } from "../db/open-store.ts";
import { startCrmStandIn } from "../dev/crm-stand-in.ts";
import { startStripeSimulator } from "../dev/stripe-simulator/server.ts";
import { Shopper } from "../tests/resilience/purchase.ts";
import { freshTempDir, mysqlTarget } from "../tests/support.ts";
import { freePort, waitFor } from "../tests/waiting.ts";
import { TEST_LIMITS } from "./config.ts";
import { seedDemoProducts } from "./products/demo-products.ts";

const ROOT = join(import.meta.dirname, "..");
const mysql = mysqlTarget();
const node = Bun.which("node");

mysql.describe.skipIf(!node)("the Node bundle (bun run build:node) in production on MySQL", () => {
  const dir = freshTempDir();
  const crm = startCrmStandIn();
  const webhookSecret = "whsec_node_bundle_0123456789abcdef";
  const simulator = startStripeSimulator({ webhookSecret });
  let child: ReturnType<typeof Bun.spawn> | undefined;
  afterAll(async () => {
    child?.kill("SIGKILL");
    await simulator.stop();
    await crm.stop();
  });

  test("builds, runs with no node_modules, serves the site, takes a whole payment, and drains on SIGTERM", async () => {
    const build = Bun.spawnSync(["bun", "run", "build:node"], { cwd: ROOT, stderr: "pipe" });
    expect({ exitCode: build.exitCode, stderr: build.stderr.toString() }).toMatchObject({ exitCode: 0 });
    // The bundle alone, in a folder with no node_modules, beside a built site.
    copyFileSync(join(ROOT, "dist/node/main.js"), join(dir, "main.js"));
    mkdirSync(join(dir, "ui/dist"), { recursive: true });
    writeFileSync(join(dir, "ui/dist/index.html"), "<!doctype html><title>Shop</title>node-bundle-site");
    mkdirSync(join(dir, "ui/dist/assets"));
    writeFileSync(join(dir, "ui/dist/assets/index-N0de12.js"), "console.log('node');");

    const url = mysql.url() as string;
    await migrateDatabase(url);
    const store = await openStore(url);
    await seedDemoProducts(store, "usd", join(dir, "media"));
    const [product] = (await store.listActiveProducts({ limit: 1, offset: 0 })).rows;
    await store.close();

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    simulator.simulator.sendWebhooksTo(`${base}/api/v1/payments/stripe/webhook`);
    child = Bun.spawn([node as string, "main.js"], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        NODE_ENV: "production",
        // Two processes through node:cluster, sharing the port: the purchase below is served by either.
        WORKERS: "2",
        PORT: String(port),
        DATABASE_URL: url,
        MEDIA_DIR: join(dir, "media"),
        JWT_SECRET: "node-bundle-secret-of-32-characters-x",
        APP_URL: "https://shop.test",
        TRUSTED_PROXIES: "none",
        STRIPE_SECRET_KEY: "sk_test_node_bundle",
        STRIPE_WEBHOOK_SECRET: webhookSecret,
        STRIPE_API_BASE: simulator.url,
        CRM_URL: crm.url,
        CRM_POLL_INTERVAL_MS: "100",
        LOG_LEVEL: "silent",
        ...TEST_LIMITS,
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    const running = child;
    await waitFor(async () => {
      if (running.exitCode !== null) throw new Error(`node exited with ${running.exitCode}`);
      return (await fetch(`${base}/healthz`)).ok;
    }, "the Node bundle");

    const home = await fetch(`${base}/orders`);
    expect(home.headers.get("Cache-Control")).toBe("no-cache");
    expect(await home.text()).toContain("node-bundle-site");
    const script = await fetch(`${base}/assets/index-N0de12.js`);
    expect(script.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    expect(script.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
    expect(await script.text()).toBe("console.log('node');");
    expect((await fetch(`${base}/assets/index-Gone99.js`)).status).toBe(404);
    // The API reference's files are inside the bundle too, Swagger UI's own among them.
    const docs = await (await fetch(`${base}/api/docs`)).text();
    const files = [...docs.matchAll(/(?:href|src)="(\/api\/docs\/static\/[^"]+)"/g)].map((match) => match[1]);
    expect(files).toHaveLength(4);
    for (const file of files) {
      const answer = await fetch(`${base}${file}`);
      expect({ file, status: answer.status }).toEqual({ file, status: 200 });
      expect((await answer.text()).length).toBeGreaterThan(100);
    }
    const shopper = new Shopper(base, simulator.url);
    await shopper.register();
    const order = await shopper.order(product?.id as number);
    expect(order.status).toBe(201);
    const payment = await shopper.createPayment(order.body.id);
    expect(payment.status).toBe(201);
    await shopper.pay(payment.body.session_id, true);
    const confirmed = await shopper.confirm(order.body.id, payment.body.session_id);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe("paid");
    await waitFor(async () => crm.postsFor(order.body.id).length > 0, "the CRM post");
    expect(crm.postsFor(order.body.id)).toHaveLength(1);
    const webhooks = simulator.simulator.events.filter((event) => event.objectId === payment.body.session_id);
    expect(webhooks.map((event) => [event.type, event.status])).toEqual([
      ["checkout.session.completed", 200],
    ]);

    running.kill("SIGTERM");
    expect(await running.exited).toBe(0);
  }, 60_000);
});
