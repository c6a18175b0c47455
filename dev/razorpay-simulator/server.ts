import { createRazorpaySimulator, type RazorpaySimulatorOptions } from "./app.ts";

export interface RunningRazorpaySimulator {
  url: string;
  simulator: ReturnType<typeof createRazorpaySimulator>;
  stop(): Promise<void>;
}

export function startRazorpaySimulator(
  options: RazorpaySimulatorOptions & { port?: number; hostname?: string },
): RunningRazorpaySimulator {
  const simulator = createRazorpaySimulator(options);
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
