import cluster from "node:cluster";
import { resolve } from "node:path";
import { serve } from "@hono/node-server";
import { getConnInfo } from "@hono/node-server/conninfo";
import { serveStatic } from "@hono/node-server/serve-static";
import { loadConfigOrExit } from "./config.ts";
import { jsonLog, sinkFor } from "./http/logger.ts";
import { nodePasswordHasher } from "./runtime/passwords.node.ts";
import { superviseWorkers, workerEnv, workerIndex } from "./runtime/workers.ts";
import { SHUTDOWN_GRACE_MS, startApp, stopOnSignals } from "./start.ts";

/**
 * The same app on Node 20+ (MySQL only: the embedded SQLite database is Bun's). `bun run build:node` bundles it
 * into dist/node/main.js, which runs with no node_modules; it is started from the project's root, whose
 * ui/dist it serves. With WORKERS above 1 it runs that many processes through node:cluster.
 */
const config = loadConfigOrExit();
if (!config.DATABASE_URL.startsWith("mysql://")) {
  console.error("The Node entry point needs DATABASE_URL=mysql://...; SQLite runs on Bun only.");
  process.exit(1);
}
if (config.WORKERS > 1 && cluster.isPrimary) {
  // node:cluster's workers share the primary's listening socket, which hands them connections in turn.
  superviseWorkers(
    config.WORKERS,
    (index) => {
      const child = cluster.fork(workerEnv(index));
      return {
        exited: new Promise((exited) => child.on("exit", (code) => exited(code))),
        kill: (signal) => child.process.kill(signal),
      };
    },
    jsonLog(sinkFor(config)),
  );
} else {
  await serveOnNode();
}

async function serveOnNode(): Promise<void> {
  const started = await startApp(
    config,
    {
      passwords: nodePasswordHasher,
      remoteAddress: (c) => getConnInfo(c).remote.address,
      site: { dir: resolve("ui/dist"), serveStatic },
    },
    (workerIndex() ?? 0) === 0,
  );
  const server = serve({ fetch: started.app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    started.log({ level: "info", msg: `listening on http://${info.address}:${info.port} (node)` });
  });
  // Bun keeps an idle connection 10 s; Node's default 5 s equals nginx's upstream keepalive_timeout, so the two
  // could close it at once while nginx writes a request into it (docs/decisions/015).
  if ("keepAliveTimeout" in server) server.keepAliveTimeout = 10_000;
  stopOnSignals(async () => {
    const drained = new Promise<void>((done) => server.close(() => done()));
    if ("closeIdleConnections" in server) server.closeIdleConnections();
    const timedOut = new Promise<void>((done) => setTimeout(done, SHUTDOWN_GRACE_MS).unref());
    await Promise.race([drained, timedOut]);
    if ("closeAllConnections" in server) server.closeAllConnections();
    await started.close();
  });
}
