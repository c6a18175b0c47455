import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { migrateDatabase } from "../db/migrate-store.ts";
import { freshTempDir } from "../tests/support.ts";
import { freePort, waitFor } from "../tests/waiting.ts";

/** Bytes the kernel holds for the server on the loopback connection serverPort <-> clientPort (Linux). */
function unreadByServer(serverPort: number, clientPort: number): number {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
  const row = readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .find(
      ([, local, remote]) =>
        local?.endsWith(`:${hex(serverPort)}`) && remote?.endsWith(`:${hex(clientPort)}`),
    );
  if (!row?.[4]) throw new Error("the connection is not in /proc/net/tcp");
  return Number.parseInt(row[4].split(":")[1] as string, 16);
}

const canConnect = (url: string) =>
  fetch(url).then(
    () => true,
    () => false,
  );

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
        WORKERS: "1",
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        JWT_SECRET: "graceful-shutdown-secret-32-characters",
        STRIPE_SECRET_KEY: "sk_test_graceful",
        STRIPE_WEBHOOK_SECRET: "whsec_graceful_shutdown_0123456789",
        STRIPE_API_BASE: "http://127.0.0.1:9",
        APP_URL: "https://shop.test",
        CRM_URL: "http://127.0.0.1:9/posts/add",
        TRUSTED_PROXIES: "none",
        MEDIA_DIR: join(dir, "media"),
        CRM_WORKER: "off",
        LOG_LEVEL: "silent",
      },
      stdout: "ignore",
      stderr: "pipe",
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(() => canConnect(`${base}/healthz`), "the server to answer");

    // A sign-in whose body is only half sent: the request is in flight until the rest arrives.
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
    await waitFor(
      () => unreadByServer(port, socket.localPort) === 0,
      "the server to read the request's head",
    );

    child.kill("SIGTERM");
    await waitFor(async () => !(await canConnect(`${base}/healthz`)), "new connections to be refused");
    expect(child.exitCode).toBeNull();

    socket.write(body.slice(10));
    await waitFor(() => answer.includes("\r\n\r\n"), "the sign-in to be answered");
    expect(answer).toStartWith("HTTP/1.1 401");
    socket.end();
    expect(await child.exited).toBe(0);
  }, 30_000);
});
