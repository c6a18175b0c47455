import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { migrateDatabase } from "../../db/migrate-store.ts";
import { ServerProcess } from "../../tests/resilience/processes.ts";
import { freshTempDir, testAddress, uniqueEmail } from "../../tests/support.ts";
import { freePort } from "../../tests/waiting.ts";

describe("sign-in limits across two server processes on one database", () => {
  const dir = freshTempDir();
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.kill("SIGTERM");
  });

  test("failures counted by one instance hold on the other: five in all from one address, then 429 on both", async () => {
    const databaseUrl = `file:${join(dir, "app.db")}`;
    await migrateDatabase(databaseUrl);
    for (const port of [await freePort(), await freePort()]) {
      const server = new ServerProcess(port, {
        DATABASE_URL: databaseUrl,
        STRIPE_SECRET_KEY: "sk_test_limits",
        STRIPE_WEBHOOK_SECRET: "whsec_limits_0123456789abcdefghij",
        CRM_URL: "http://127.0.0.1:9/posts/add",
        CRM_WORKER: "off",
        // The test stands in for nginx, so that it can choose the client's address.
        TRUSTED_PROXIES: "127.0.0.1",
        LOGIN_MAX_FAILURES: "5",
      });
      servers.push(server);
      await server.start();
    }
    const [first, second] = servers as [ServerProcess, ServerProcess];
    const email = uniqueEmail("two-instances");
    const password = "correct horse battery";
    const post = (server: ServerProcess, path: string, body: object, address: string) =>
      fetch(`${server.url}/api/v1/auth/${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Forwarded-For": address },
        body: JSON.stringify(body),
      });
    expect((await post(first, "register", { email, password }, testAddress())).status).toBe(201);

    const attacker = testAddress();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      const server = attempt % 2 === 0 ? first : second;
      statuses.push((await post(server, "login", { email, password: "wrong password" }, attacker)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    for (const server of servers) {
      expect((await post(server, "login", { email, password }, attacker)).status).toBe(429);
    }
    expect((await post(second, "login", { email, password }, testAddress())).status).toBe(200);
  }, 30_000);
});
