import { describe, expect, test } from "bun:test";
import { migrateDatabase } from "../db/migrate-store.ts";
import { openStore } from "../db/open-store.ts";
import { seedDemoProducts } from "../db/seed-data.ts";
import { storeTargets, uniqueEmail } from "./test-support.ts";

const mysql = storeTargets().find((target) => target.name === "mysql");

async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const { port } = probe;
  probe.stop(true);
  return port as number;
}

async function waitFor(url: string, child: { exitCode: number | null }): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await Bun.sleep(100);
  }
  throw new Error(`${url} never answered`);
}

describe.if(mysql !== undefined)("the same app on Node 20 through @hono/node-server", () => {
  test("registers, signs in and lists products against MySQL", async () => {
    const url = mysql?.url() as string;
    await migrateDatabase(url);
    const store = await openStore(url);
    await seedDemoProducts(store, "usd");
    await store.close();
    const port = await freePort();
    const child = Bun.spawn(["node", "--import", "tsx", "server/main.node.ts"], {
      env: {
        ...process.env,
        NODE_ENV: "test",
        DATABASE_URL: url,
        PORT: String(port),
        CRM_WORKER: "off",
        LOG_LEVEL: "silent",
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(`${base}/healthz`, child);
      const email = uniqueEmail("node");
      const credentials = JSON.stringify({ email, password: "correct horse battery" });
      const headers = { "Content-Type": "application/json" };
      const registered = await fetch(`${base}/api/v1/auth/register/`, {
        method: "POST",
        headers,
        body: credentials,
      });
      expect(registered.status).toBe(201);
      const login = await fetch(`${base}/api/v1/auth/login/`, { method: "POST", headers, body: credentials });
      expect(login.status).toBe(200);
      const { token } = await login.json();
      const products = await fetch(`${base}/api/v1/products/`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(products.status).toBe(200);
      expect((await products.json()).count).toBeGreaterThan(0);
    } finally {
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    }
  }, 30_000);
});
