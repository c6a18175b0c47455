import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { migrateDatabase } from "../../db/migrate-store.ts";
import { freshTempDir } from "../../tests/support.ts";
import { freePort, waitFor } from "../../tests/waiting.ts";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The JSON lines a process writes on standard output, as they come. */
function collect(child: ReturnType<typeof Bun.spawn>): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of child.stdout as unknown as AsyncIterable<Uint8Array>) {
      rest += decoder.decode(chunk);
      const complete = rest.split("\n");
      rest = complete.pop() ?? "";
      for (const line of complete) if (line.startsWith("{")) lines.push(JSON.parse(line));
    }
  })();
  return lines;
}

const listening = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => String(line.msg).startsWith("listening on"));

describe("WORKERS: several server processes on one port", () => {
  const dir = freshTempDir();
  const started: ReturnType<typeof Bun.spawn>[] = [];
  afterAll(() => {
    for (const child of started) child.kill("SIGKILL");
  });
  const startWorkers = async () => {
    const databaseUrl = `file:${join(dir, "app.db")}`;
    await migrateDatabase(databaseUrl);
    const port = await freePort();
    const child = Bun.spawn(["bun", "run", "server/main.ts"], {
      env: {
        ...process.env,
        NODE_ENV: "production",
        WORKERS: "2",
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        MEDIA_DIR: join(dir, "media"),
        JWT_SECRET: "workers-test-secret-of-32-characters-x",
        STRIPE_SECRET_KEY: "sk_test_workers",
        STRIPE_WEBHOOK_SECRET: "whsec_workers_test_0123456789abcdefgh",
        STRIPE_API_BASE: "http://127.0.0.1:9",
        APP_URL: "https://shop.test",
        CRM_URL: "http://127.0.0.1:9/posts/add",
        TRUSTED_PROXIES: "none",
        LOG_LEVEL: "info",
      },
      stdout: "pipe",
      stderr: "inherit",
    });
    started.push(child);
    const lines = collect(child);
    await waitFor(async () => listening(lines).length === 2, "two workers listening");
    return { child, lines, url: `http://127.0.0.1:${port}/healthz` };
  };
  /** Sixty requests on new connections: the workers that answered them, by their log lines. */
  const answeredBy = async (url: string, lines: Record<string, unknown>[]) => {
    const before = lines.length;
    for (let request = 0; request < 60; request++)
      expect((await fetch(url, { headers: { Connection: "close" } })).status).toBe(200);
    await Bun.sleep(100);
    const workers = lines
      .slice(before)
      .filter((line) => line.path === "/healthz")
      .map((line) => line.worker);
    return [...new Set(workers)].sort();
  };

  test("bun run start with WORKERS=2 serves from both, runs the background work once, starts a dead worker again, and stops them all on SIGTERM", async () => {
    const { child, lines, url } = await startWorkers();
    expect(lines).toContainEqual(expect.objectContaining({ msg: "supervising 2 workers" }));
    expect(
      listening(lines)
        .map((line) => line.worker)
        .sort(),
    ).toEqual([0, 1]);
    expect(lines.filter((line) => String(line.msg).startsWith("background work started"))).toEqual([
      expect.objectContaining({ worker: 0 }),
    ]);
    // New connections are spread by the kernel (SO_REUSEPORT): both workers answer.
    expect(await answeredBy(url, lines)).toEqual([0, 1]);

    // A worker that dies is started again; meanwhile the other one answers.
    const second = listening(lines).find((line) => line.worker === 1)?.pid as number;
    process.kill(second, "SIGKILL");
    await waitFor(async () => !isAlive(second), "the killed worker to be gone");
    expect((await fetch(url, { headers: { Connection: "close" } })).status).toBe(200);
    await waitFor(async () => listening(lines).length === 3, "the dead worker to start again");
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "worker exited; starting it again", worker: 1 }),
    );
    expect(await answeredBy(url, lines)).toEqual([0, 1]);

    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    expect(
      listening(lines)
        .map((line) => line.pid as number)
        .filter(isAlive),
    ).toEqual([]);
    expect(
      await fetch(url).then(
        () => "answered",
        () => "refused",
      ),
    ).toBe("refused");
  }, 60_000);

  test("workers whose supervisor is killed outright (it cannot pass the signal on) stop within a second or two", async () => {
    const { child, lines } = await startWorkers();
    const workers = listening(lines).map((line) => line.pid as number);
    child.kill("SIGKILL");
    await waitFor(async () => workers.every((pid) => !isAlive(pid)), "the orphaned workers to stop");
  }, 30_000);
});
