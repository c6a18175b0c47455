import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { migrateDatabase } from "../db/migrate-store.ts";
import { freshTempDir } from "./test-support.ts";

async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

describe("graceful shutdown", () => {
  const dir = freshTempDir();
  let child: ReturnType<typeof Bun.spawn> | undefined;
  afterAll(() => child?.kill("SIGKILL"));

  test("on SIGTERM the server stops accepting, finishes the request in flight, and exits 0", async () => {
    const databaseUrl = `file:${join(dir, "app.db")}`;
    await migrateDatabase(databaseUrl);
    const port = await freePort();
    child = Bun.spawn(["bun", "run", "server/main.ts"], {
      env: {
        ...process.env,
        NODE_ENV: "production",
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        JWT_SECRET: "graceful-shutdown-secret-32-characters",
        STRIPE_API_BASE: "http://127.0.0.1:9",
        CRM_WORKER: "off",
        LOG_LEVEL: "silent",
      },
      stdout: "ignore",
      stderr: "pipe",
    });
    const base = `http://127.0.0.1:${port}`;
    for (let attempt = 0; attempt < 100; attempt++) {
      if (
        await fetch(`${base}/healthz`).then(
          (response) => response.ok,
          () => false,
        )
      )
        break;
      await Bun.sleep(100);
    }

    const body = JSON.stringify({ email: "nobody@example.test", password: "not the password" });
    let answer = "";
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_socket, chunk) {
          answer += new TextDecoder().decode(chunk);
        },
      },
    });
    socket.write(
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await Bun.sleep(200);
    child.kill("SIGTERM");
    await Bun.sleep(500);
    expect(
      await fetch(`${base}/healthz`).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
    expect(child.exitCode).toBeNull();
    socket.write(body.slice(10));
    for (let attempt = 0; attempt < 50 && !answer.includes("\r\n\r\n"); attempt++) await Bun.sleep(50);
    expect(answer).toStartWith("HTTP/1.1 401");
    socket.end();
    expect(await child.exited).toBe(0);
  }, 30_000);
});
