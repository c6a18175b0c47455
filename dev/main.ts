import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { migrateDatabase } from "../db/migrate-store.ts";
import { openStore } from "../db/open-store.ts";
import { DEV_ADMIN, ensureAdmin } from "../server/admin/admins.ts";
import { DEFAULT_DATABASE_URL, loadConfigOrExit } from "../server/config.ts";
import { seedDemoProducts } from "../server/products/demo-products.ts";
import { bunPasswordHasher } from "../server/runtime/passwords.ts";
import { startBunServer } from "../server/server.bun.ts";
import { stopOnSignals } from "../server/start.ts";
import { startCrmStandIn } from "./crm-stand-in.ts";
import { startRazorpaySimulator } from "./razorpay-simulator/server.ts";
import { startStripeSimulator } from "./stripe-simulator/server.ts";

/**
 * `bun run dev`: migrates and seeds the (by default embedded) database, starts the Stripe simulator when no
 * STRIPE_SECRET_KEY is set (the Razorpay simulator with PAYMENT_PROVIDER=razorpay and no RAZORPAY_KEY_ID) and a local CRM that answers like DummyJSON when no CRM_URL is set (so development
 * works with no internet), then serves the API and the customer site.
 */
const env: Record<string, string | undefined> = { NODE_ENV: "development", ...process.env };
if (env.NODE_ENV === "production") {
  console.error("bun run dev is for development; use bun run start in production.");
  process.exit(1);
}
// The stand-ins keep their state beside the development database, so payments and CRM references outlive a restart.
const databaseUrl = env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
const stateDir = databaseUrl.startsWith("file:") ? dirname(databaseUrl.slice("file:".length)) : "data";
let simulator: { url: string } | undefined;
if (env.PAYMENT_PROVIDER === "razorpay" && !env.RAZORPAY_KEY_ID) {
  const port = Number(env.PORT ?? 3000);
  env.RAZORPAY_KEY_ID = "rzp_test_simulator";
  env.RAZORPAY_KEY_SECRET = "simulator_key_secret";
  env.RAZORPAY_WEBHOOK_SECRET = "simulator_webhook_secret_development";
  // A shop on Razorpay sells in rupees unless told otherwise.
  env.CURRENCY ??= "inr";
  simulator = startRazorpaySimulator({
    port: Number(env.RAZORPAY_SIMULATOR_PORT ?? 12113),
    keyId: env.RAZORPAY_KEY_ID,
    keySecret: env.RAZORPAY_KEY_SECRET,
    webhookUrl: `http://127.0.0.1:${port}/api/v1/payments/razorpay/webhook`,
    webhookSecret: env.RAZORPAY_WEBHOOK_SECRET,
    stateFile: join(stateDir, "razorpay-simulator.json"),
  });
  env.RAZORPAY_API_BASE = simulator.url;
} else if (env.PAYMENT_PROVIDER !== "razorpay" && !env.STRIPE_SECRET_KEY) {
  const port = Number(env.PORT ?? 3000);
  env.STRIPE_SECRET_KEY = "sk_test_simulator";
  env.STRIPE_WEBHOOK_SECRET = "whsec_simulator_development";
  simulator = startStripeSimulator({
    port: Number(env.STRIPE_SIMULATOR_PORT ?? 12111),
    webhookUrl: `http://127.0.0.1:${port}/api/v1/payments/stripe/webhook`,
    webhookSecret: env.STRIPE_WEBHOOK_SECRET,
    stateFile: join(stateDir, "stripe-simulator.json"),
  });
  env.STRIPE_API_BASE = simulator.url;
}
let crm: ReturnType<typeof startCrmStandIn> | undefined;
if (!env.CRM_URL) {
  crm = startCrmStandIn({
    port: Number(env.CRM_STAND_IN_PORT ?? 12112),
    stateFile: join(stateDir, "crm-stand-in.json"),
  });
  env.CRM_URL = crm.url;
  env.CRM_SIMULATED = "true";
}
const config = loadConfigOrExit(env);
await migrateDatabase(config.DATABASE_URL);
const store = await openStore(config.DATABASE_URL);
const inserted = await seedDemoProducts(store, config.CURRENCY, config.MEDIA_DIR);
if (!(await store.findUserByEmail(DEV_ADMIN.email))) await ensureAdmin(store, bunPasswordHasher, DEV_ADMIN);
await store.close();
const running = await startBunServer(config);
stopOnSignals(running.stop);
// The customer site with hot reload, proxying /api to the server above; APP_URL points here by default.
process.env.API_ORIGIN = running.url;
const { createServer } = await import("vite");
const site = await createServer({
  configFile: fileURLToPath(new URL("../ui/vite.config.ts", import.meta.url)),
});
await site.listen();
if (simulator)
  console.log(
    `${env.PAYMENT_PROVIDER === "razorpay" ? "Razorpay" : "Stripe"} simulator on ${simulator.url}: payments are simulated`,
  );
if (crm) {
  console.log(
    `CRM stand-in on ${crm.url}: paid orders stay on this machine (CRM_URL=https://dummyjson.com/posts/add bun run dev uses the real one)`,
  );
}
console.log(`Customer site: ${site.resolvedUrls?.local[0] ?? "http://localhost:5173/"}`);
console.log(`Admin: ${running.url}/admin (development admin ${DEV_ADMIN.email} / ${DEV_ADMIN.password})`);
console.log(
  `API ready on ${running.url}/api/v1 (docs: ${running.url}/api/docs; ${inserted} demo products added)`,
);
