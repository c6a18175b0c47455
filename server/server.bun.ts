import { fileURLToPath } from "node:url";
import { getConnInfo, serveStatic } from "hono/bun";
import type { Config } from "./config.ts";
import { bunPasswordHasher } from "./runtime/passwords.ts";
import { SHUTDOWN_GRACE_MS, startApp } from "./start.ts";

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the API on Bun and returns a handle whose stop() drains requests, then closes the database. Worker
 * `worker` of several (WORKERS) shares the port with the others (SO_REUSEPORT: the kernel spreads connections);
 * only worker 0 runs the background work.
 */
export async function startBunServer(config: Config, worker = 0): Promise<RunningServer> {
  const started = await startApp(
    config,
    {
      passwords: bunPasswordHasher,
      remoteAddress: (c) => getConnInfo(c).remote.address,
      site: { dir: fileURLToPath(new URL("../ui/dist", import.meta.url)), serveStatic },
    },
    worker === 0,
  );
  const server = Bun.serve({
    port: config.PORT,
    hostname: config.HOST,
    reusePort: config.WORKERS > 1,
    // Bun counts a request still being answered as idle and resets it after idleTimeout (default 10 s). A slow
    // answer (a database cluster freezing while a node leaves) must reach the client as an answer, so requests get
    // as long as nginx's proxy_read_timeout.
    idleTimeout: 30,
    fetch: started.app.fetch,
  });
  let stopping: Promise<void> | undefined;
  return {
    url: server.url.toString().replace(/\/$/, ""),
    stop() {
      stopping ??= (async () => {
        const drained = server.stop(false);
        const timedOut = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
        await Promise.race([drained, timedOut]);
        server.stop(true);
        await started.close();
      })();
      return stopping;
    },
  };
}
