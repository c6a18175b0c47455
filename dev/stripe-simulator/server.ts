import { type Served, serveSimulator } from "../serve-simulator.ts";
import { createStripeSimulator, type SimulatorOptions } from "./app.tsx";

export type RunningSimulator = Served<ReturnType<typeof createStripeSimulator>>;

export function startStripeSimulator(
  options: SimulatorOptions & { port?: number; hostname?: string },
): RunningSimulator {
  return serveSimulator(createStripeSimulator(options), options);
}
