import type { Log } from "../http/logger.ts";

/** Set by the supervisor on each worker it starts: the worker's place among WORKERS, from 0. */
const WORKER_INDEX = "WORKER_INDEX";

/** This process's worker index, or undefined when it was not started as a worker (it may supervise them). */
export function workerIndex(env: Record<string, string | undefined> = process.env): number | undefined {
  const value = env[WORKER_INDEX];
  return value === undefined ? undefined : Number(value);
}

/** The environment of worker `index`: this process's, and its place. */
export function workerEnv(index: number): Record<string, string> {
  return { ...(process.env as Record<string, string>), [WORKER_INDEX]: String(index) };
}

/** A worker process, as the runtime starts it (Bun.spawn, or node:cluster's fork). */
export interface WorkerProcess {
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** How long a worker that died waits before it is started again: a crash loop must not spin. */
const RESTART_DELAY_MS = 1000;

/**
 * Runs `count` workers of this server on one port and keeps them running: one that exits while the supervisor is
 * not stopping is logged and started again after a second. SIGTERM and SIGINT are passed to every worker, which
 * drains as a lone server does, and the supervisor exits once all have: 0 when each exited 0.
 */
export function superviseWorkers(count: number, spawn: (index: number) => WorkerProcess, log: Log): void {
  let stopping = false;
  const running = new Map<number, WorkerProcess>();
  const exits: Promise<number | null>[] = [];
  const start = (index: number) => {
    const worker = spawn(index);
    running.set(index, worker);
    const exited = worker.exited.then((code) => {
      running.delete(index);
      if (!stopping) {
        log({ level: "error", msg: "worker exited; starting it again", worker: index, code });
        setTimeout(() => {
          if (!stopping) start(index);
        }, RESTART_DELAY_MS);
      }
      return code;
    });
    exits.push(exited);
  };
  for (let index = 0; index < count; index++) start(index);
  log({ level: "info", msg: `supervising ${count} workers`, pid: process.pid });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, async () => {
      stopping = true;
      log({ level: "info", msg: `${signal}: stopping ${running.size} workers` });
      for (const worker of running.values()) worker.kill(signal);
      const codes = await Promise.all([...running.values()].map((worker) => worker.exited));
      process.exit(codes.every((code) => code === 0) ? 0 : 1);
    });
  }
}

/**
 * A worker whose supervisor is gone (killed with SIGKILL, which it cannot pass on) drains and exits within a
 * second, so no orphan keeps the port. systemd's control group would end it too; this covers the rest.
 */
export function stopWithSupervisor(stop: () => Promise<void>, log: Log): void {
  const supervisor = process.ppid;
  const check = setInterval(async () => {
    if (process.ppid === supervisor) return;
    clearInterval(check);
    log({ level: "error", msg: "the supervisor is gone: stopping" });
    await stop();
    process.exit(0);
  }, 1000);
  check.unref();
}
