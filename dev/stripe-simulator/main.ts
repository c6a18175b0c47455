import { startStripeSimulator } from "./server.ts";

/** `bun run stripe:simulator`: the Stripe stand-in on its own, for scripted runs and benchmarks. */
const running = startStripeSimulator({
  port: Number(process.env.STRIPE_SIMULATOR_PORT ?? 12111),
  webhookUrl: process.env.STRIPE_SIMULATOR_WEBHOOK_URL || undefined,
  webhookSecret: process.env.STRIPE_WEBHOOK_SECRET ?? "whsec_simulator",
});
console.log(`Stripe simulator on ${running.url}`);
