import { loadConfigOrExit } from "./config.ts";
import { jsonLog, sinkFor } from "./http/logger.ts";
import { stopWithSupervisor, superviseWorkers, workerEnv, workerIndex } from "./runtime/workers.ts";

const config = loadConfigOrExit();
const log = jsonLog(sinkFor(config));
const worker = workerIndex();
if (config.WORKERS > 1 && worker === undefined) {
  // The supervisor: WORKERS copies of this script, each a whole server on the same port.
  superviseWorkers(
    config.WORKERS,
    (index) => {
      const child = Bun.spawn([process.execPath, ...process.argv.slice(1)], {
        env: workerEnv(index),
        stdio: ["inherit", "inherit", "inherit"],
      });
      return { exited: child.exited, kill: (signal) => child.kill(signal) };
    },
    log,
  );
} else {
  // Loaded here, not above: the supervisor holds none of the app in its memory.
  const { startBunServer } = await import("./server.bun.ts");
  const { stopOnSignals } = await import("./start.ts");
  const running = await startBunServer(config, worker ?? 0);
  stopOnSignals(running.stop);
  if (worker !== undefined) stopWithSupervisor(running.stop, log);
  log({ level: "info", msg: `listening on ${running.url}`, pid: process.pid });
}
