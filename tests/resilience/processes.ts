import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket, Subprocess } from "bun";
import { TEST_LIMITS } from "../../server/config.ts";
import { freePort, waitFor } from "../waiting.ts";

export const ROOT = new URL("../..", import.meta.url).pathname;

const running = new Set<Subprocess>();
// A server must never outlive the test run, whatever way the run ends.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * A process serving HTTP that tests can SIGKILL and start again: by default the production server
 * (`bun run server/main.ts`), ready when `readyPath` answers 2xx.
 */
export class ServerProcess {
  process: Subprocess | undefined;
  readonly url: string;

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly script = "server/main.ts",
    private readonly readyPath = "/healthz",
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.process = Bun.spawn(["bun", "run", this.script], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        // One process per server: these tests kill and restart servers as one process each.
        WORKERS: "1",
        PORT: String(this.port),
        JWT_SECRET: "resilience-secret-resilience-secret-32",
        APP_URL: "https://shop.test",
        TRUSTED_PROXIES: "none",
        MEDIA_DIR: join(tmpdir(), "resilience-media"),
        LOG_LEVEL: "silent",
        ...TEST_LIMITS,
        ...this.env,
      },
      stdout: "ignore",
      stderr: "inherit",
    });
    running.add(this.process);
    await waitFor(
      async () => (await fetch(`${this.url}${this.readyPath}`)).ok,
      `${this.script} on ${this.port}`,
    );
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

/** Production servers on two ports of one database, and the Stripe simulator in a process of its own. */
export interface TwoServers {
  simulator: ServerProcess;
  servers: ServerProcess[];
  stop(): Promise<void>;
}

/**
 * Starts the Stripe simulator (its webhooks go to the first server) and two production servers with `env` on
 * top of what they share (the simulator, its webhook secret). The simulator runs in a process of its own: in the
 * test's, its webhook deliveries would queue behind the shoppers' requests for Bun's 256 concurrent fetches, while
 * those shoppers wait on the deliveries.
 */
export async function startTwoServers(
  env: Record<string, string>,
  /** What differs between the two, e.g. each its own first database node. */
  each: [Record<string, string>, Record<string, string>] = [{}, {}],
): Promise<TwoServers> {
  const webhookSecret = "whsec_two_servers_0123456789abcdefgh";
  const ports = [await freePort(), await freePort()];
  const simulatorPort = await freePort();
  const simulator = new ServerProcess(
    simulatorPort,
    {
      STRIPE_SIMULATOR_PORT: String(simulatorPort),
      STRIPE_SIMULATOR_WEBHOOK_URL: `http://127.0.0.1:${ports[0]}/api/v1/payments/stripe/webhook`,
      STRIPE_WEBHOOK_SECRET: webhookSecret,
    },
    "dev/stripe-simulator/main.ts",
    "/__simulator/events",
  );
  await simulator.start();
  const servers: ServerProcess[] = [];
  for (const [index, port] of ports.entries()) {
    const server = new ServerProcess(port, {
      STRIPE_SECRET_KEY: "sk_test_two_servers",
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      STRIPE_API_BASE: simulator.url,
      ...env,
      ...each[index],
    });
    await server.start();
    servers.push(server);
  }
  return {
    simulator,
    servers,
    async stop() {
      for (const server of servers) await server.kill("SIGTERM");
      await simulator.kill("SIGTERM");
    },
  };
}

type Direction = { socket?: Socket<Link>; queue: Uint8Array[] };
interface Link {
  toClient: Direction;
  toUpstream: Direction;
}

/** Writes what is queued, keeping the rest for the socket's next drain. */
function flush(direction: Direction): void {
  const socket = direction.socket;
  if (!socket) return;
  while (direction.queue.length > 0) {
    const chunk = direction.queue[0] as Uint8Array;
    const written = socket.write(chunk);
    if (written < chunk.length) {
      direction.queue[0] = chunk.subarray(Math.max(written, 0));
      return;
    }
    direction.queue.shift();
  }
}

/**
 * A TCP relay (Bun.listen + Bun.connect) in front of MariaDB that a test can break in two ways: `cut` drops
 * every connection and refuses new ones (the database is down); `hang` keeps every connection open and lets
 * nothing through (a network partition: packets vanish, nothing is refused). `restore` lets traffic flow again,
 * delivering what a hang held back, as TCP would after a partition heals.
 */
export async function startTcpProxy(targetPort: number) {
  let mode: "up" | "cut" | "hang" = "up";
  const links = new Set<Link>();
  const close = (link: Link) => {
    links.delete(link);
    link.toClient.socket?.end();
    link.toUpstream.socket?.end();
  };
  const forward = (direction: Direction, chunk: Uint8Array) => {
    direction.queue.push(new Uint8Array(chunk));
    if (mode === "up") flush(direction);
  };
  const listener = Bun.listen<Link>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        if (mode === "cut") {
          client.end();
          return;
        }
        const link: Link = { toClient: { socket: client, queue: [] }, toUpstream: { queue: [] } };
        client.data = link;
        links.add(link);
        try {
          link.toUpstream.socket = await Bun.connect<Link>({
            hostname: "127.0.0.1",
            port: targetPort,
            data: link,
            socket: {
              data: (_, chunk) => forward(link.toClient, chunk),
              drain: () => {
                if (mode === "up") flush(link.toUpstream);
              },
              close: () => close(link),
              error: () => close(link),
            },
          });
        } catch {
          close(link);
          return;
        }
        if (!links.has(link)) link.toUpstream.socket.end();
        else if (mode === "up") flush(link.toUpstream);
      },
      data: (client, chunk) => forward(client.data.toUpstream, chunk),
      drain: (client) => {
        if (mode === "up") flush(client.data.toClient);
      },
      close: (client) => {
        if (client.data) close(client.data);
      },
      error: (client) => {
        if (client.data) close(client.data);
      },
    },
  });
  return {
    port: listener.port,
    cut() {
      mode = "cut";
      for (const link of links) close(link);
    },
    hang() {
      mode = "hang";
    },
    restore() {
      mode = "up";
      for (const link of links) {
        flush(link.toUpstream);
        flush(link.toClient);
      }
    },
    get connections() {
      return links.size;
    },
    stop() {
      for (const link of links) close(link);
      listener.stop(true);
    },
  };
}
