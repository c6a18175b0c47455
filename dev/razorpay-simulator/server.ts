import { type Served, serveSimulator } from "../serve-simulator.ts";
import { createRazorpaySimulator, type RazorpaySimulatorOptions } from "./app.ts";

export type RunningRazorpaySimulator = Served<ReturnType<typeof createRazorpaySimulator>>;

export function startRazorpaySimulator(
  options: RazorpaySimulatorOptions & { port?: number; hostname?: string },
): RunningRazorpaySimulator {
  return serveSimulator(createRazorpaySimulator(options), options);
}
