import { startRazorpaySimulator } from "./server.ts";

/** `bun run razorpay:simulator`: the Razorpay stand-in on its own, for scripted runs. */
const running = startRazorpaySimulator({
  port: Number(process.env.RAZORPAY_SIMULATOR_PORT ?? 12113),
  keyId: process.env.RAZORPAY_KEY_ID ?? "rzp_test_simulator",
  keySecret: process.env.RAZORPAY_KEY_SECRET ?? "simulator_key_secret",
  webhookUrl: process.env.RAZORPAY_SIMULATOR_WEBHOOK_URL || undefined,
  webhookSecret: process.env.RAZORPAY_WEBHOOK_SECRET ?? "simulator_webhook_secret",
});
console.log(`Razorpay simulator on ${running.url}`);
