import { expect, test } from "bun:test";
import { openStore } from "../../db/open-store.ts";
import { mysqlTarget } from "../../tests/support.ts";
import { createApp } from "../app.ts";
import { testConfig } from "../config.ts";
import { bunPasswordHasher } from "../runtime/passwords.ts";

const mysql = mysqlTarget();

mysql.describe("a MySQL database that cannot serve", () => {
  const variants = () => {
    const good = new URL(mysql.url());
    const wrongPassword = new URL(good);
    wrongPassword.password = "definitely-not-the-password";
    const unknownDatabase = new URL(good);
    unknownDatabase.pathname = `/no_such_database_${crypto.randomUUID().slice(0, 8).replaceAll("-", "")}`;
    const unreachable = new URL(good);
    unreachable.port = "9";
    return [
      {
        name: "a wrong password",
        url: wrongPassword,
        cause: "access denied",
        says: "Access denied for user",
      },
      {
        name: "an unknown database",
        url: unknownDatabase,
        cause: "unknown database",
        says: "Unknown database",
      },
      { name: "an unreachable server", url: unreachable, cause: "unreachable", says: "ECONNREFUSED" },
    ];
  };

  test("every API request answers 503 problem, /readyz names the cause, and the log names it once", async () => {
    for (const variant of variants()) {
      const store = await openStore(variant.url.toString(), { timeoutMs: 1000 });
      const logs: string[] = [];
      const app = createApp({
        config: testConfig({ DATABASE_URL: variant.url.toString(), LOG_LEVEL: "info" }),
        store,
        passwords: bunPasswordHasher,
        remoteAddress: () => "127.0.0.1",
        logSink: (line) => logs.push(line),
      });
      try {
        for (let attempt = 0; attempt < 3; attempt++) {
          const response = await app.request("/api/v1/products/");
          expect({
            variant: variant.name,
            status: response.status,
            type: response.headers.get("content-type"),
          }).toEqual({
            variant: variant.name,
            status: 503,
            type: "application/problem+json",
          });
        }
        const ready = await app.request("/readyz");
        expect(ready.status).toBe(503);
        const body = await ready.json();
        expect({ variant: variant.name, database: body.database }).toEqual({
          variant: variant.name,
          database: variant.cause,
        });
        expect(body.detail).toContain(variant.says);
        const named = logs
          .map((line) => JSON.parse(line))
          .filter((line) => line.msg === "database unavailable");
        expect({ variant: variant.name, lines: named.length }).toEqual({ variant: variant.name, lines: 1 });
        expect(named[0].error).toContain(variant.says);
        expect(named[0].error).not.toContain("    at ");
      } finally {
        await store.close();
      }
    }
  }, 30_000);
});
