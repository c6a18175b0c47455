import net from "node:net";
import type { Subprocess } from "bun";

export const ROOT = new URL("../..", import.meta.url).pathname;

export async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

export async function waitFor(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const running = new Set<Subprocess>();
// A server must never outlive the test run, whatever way the run ends.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A production server process (`bun run server/main.ts`) that tests can SIGKILL and start again. */
export class ServerProcess {
  process: Subprocess | undefined;
  readonly url: string;

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.process = Bun.spawn(["bun", "run", "server/main.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        PORT: String(this.port),
        JWT_SECRET: "resilience-secret-resilience-secret-32",
        LOG_LEVEL: "silent",
        ...this.env,
      },
      stdout: "ignore",
      stderr: "inherit",
    });
    running.add(this.process);
    await waitFor(async () => (await fetch(`${this.url}/healthz`)).ok, `server on ${this.port}`);
  }

  async kill(signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child) return;
    child.kill(signal);
    await child.exited;
    running.delete(child);
  }
}

/** A TCP relay in front of MariaDB that a test can cut (every connection dropped and refused) and restore. */
export function startTcpProxy(targetPort: number) {
  const sockets = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, "127.0.0.1");
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    sockets.add(client);
    sockets.add(upstream);
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    client.pipe(upstream).pipe(client);
  });
  return {
    listen: () =>
      new Promise<number>((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
      ),
    cut() {
      down = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    restore() {
      down = false;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
