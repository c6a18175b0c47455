import { createStripeSimulator, type SimulatorOptions } from "./app.tsx";

export interface RunningSimulator {
  url: string;
  simulator: ReturnType<typeof createStripeSimulator>;
  stop(): Promise<void>;
}

export function startStripeSimulator(
  options: SimulatorOptions & { port?: number; hostname?: string },
): RunningSimulator {
  const simulator = createStripeSimulator(options);
  const server = Bun.serve({
    port: options.port ?? 0,
    hostname: options.hostname ?? "127.0.0.1",
    fetch: simulator.app.fetch,
    idleTimeout: 0,
  });
  return {
    url: server.url.toString().replace(/\/$/, ""),
    simulator,
    stop: () => server.stop(true),
  };
}
