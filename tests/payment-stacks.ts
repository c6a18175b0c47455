import { afterAll, beforeAll } from "bun:test";
import Stripe from "stripe";
import type { DrizzleStore } from "../db/drizzle-store.ts";
import { type CrmStandIn, startCrmStandIn } from "../dev/crm-stand-in.ts";
import { type RunningRazorpaySimulator, startRazorpaySimulator } from "../dev/razorpay-simulator/server.ts";
import { type RunningSimulator, startStripeSimulator } from "../dev/stripe-simulator/server.ts";
import { type App, createApp } from "../server/app.ts";
import { type Config, testConfig } from "../server/config.ts";
import { CrmSync } from "../server/crm/sync.ts";
import { Metrics } from "../server/metrics/metrics.ts";
import { bunPasswordHasher } from "../server/runtime/passwords.ts";
import { type StoreTarget, type TestApp, useStore } from "./support.ts";

/**
 * The app served over HTTP with a payment provider's simulator (which posts signed webhooks back to it) and
 * CRM_URL pointed at a local DummyJSON-like CRM: `usePaymentStack` with Stripe's, `useRazorpayStack` with
 * Razorpay's.
 */
export interface ServedApp extends TestApp {
  readonly appUrl: string;
  readonly crmStandIn: CrmStandIn;
  readonly crm: CrmSync;
  readonly logs: string[];
}

export interface PaymentStack extends ServedApp {
  readonly simulatorUrl: string;
  readonly simulator: RunningSimulator["simulator"];
}

export interface RazorpayStack extends ServedApp {
  readonly razorpayUrl: string;
  readonly razorpay: RunningRazorpaySimulator["simulator"];
}

export const TEST_WEBHOOK_SECRET = "whsec_test_secret_for_tests_0123456789";
export const RAZORPAY_TEST_KEY = { id: "rzp_test_paymentsuite", secret: "razorpay_key_secret_for_tests" };
export const RAZORPAY_TEST_WEBHOOK_SECRET = "razorpay_webhook_secret_for_tests";

/** Only for its webhook-signing helper; it never calls an API. */
export const webhookSigner = new Stripe("sk_test_signing_only");

/** Posts a payload to the app's Stripe webhook, signed as Stripe signs (TEST_WEBHOOK_SECRET unless told). */
export async function signedWebhook(
  stack: { appUrl: string },
  payload: string,
  options: { timestamp?: number; secret?: string } = {},
) {
  const signature = await webhookSigner.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: options.secret ?? TEST_WEBHOOK_SECRET,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
  return fetch(`${stack.appUrl}/api/v1/payments/stripe/webhook`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Stripe-Signature": signature },
    body: payload,
  });
}

/** A Stripe event around `object`, as Stripe sends it. */
export function stripeEvent(type: string, object: unknown, created = Math.floor(Date.now() / 1000)) {
  return JSON.stringify({
    id: `evt_test_${crypto.randomUUID().replace(/-/g, "")}`,
    object: "event",
    type,
    created,
    livemode: false,
    data: { object },
  });
}

/** The real `stripe` SDK pointed at the Stripe simulator. */
export function usePaymentStack(target: StoreTarget, overrides: Record<string, string> = {}): PaymentStack {
  const served = useServedApp(target, {
    start: () => startStripeSimulator({ webhookSecret: TEST_WEBHOOK_SECRET }),
    settings: (simulator) => ({
      STRIPE_SECRET_KEY: "sk_test_payments_suite",
      STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      STRIPE_API_BASE: simulator.url,
      STRIPE_TIMEOUT_MS: "3000",
    }),
    webhooksTo: (simulator, url) =>
      simulator.simulator.sendWebhooksTo(`${url}/api/v1/payments/stripe/webhook`),
    overrides,
  });
  return Object.defineProperties(served.stack, {
    simulatorUrl: { get: () => served.simulator().url },
    simulator: { get: () => served.simulator().simulator },
  }) as PaymentStack;
}

/** PAYMENT_PROVIDER=razorpay against the Razorpay simulator; shops on Razorpay sell in rupees. */
export function useRazorpayStack(target: StoreTarget, overrides: Record<string, string> = {}): RazorpayStack {
  const served = useServedApp(target, {
    start: () =>
      startRazorpaySimulator({
        keyId: RAZORPAY_TEST_KEY.id,
        keySecret: RAZORPAY_TEST_KEY.secret,
        webhookSecret: RAZORPAY_TEST_WEBHOOK_SECRET,
      }),
    settings: (simulator) => ({
      PAYMENT_PROVIDER: "razorpay",
      CURRENCY: "inr",
      RAZORPAY_KEY_ID: RAZORPAY_TEST_KEY.id,
      RAZORPAY_KEY_SECRET: RAZORPAY_TEST_KEY.secret,
      RAZORPAY_WEBHOOK_SECRET: RAZORPAY_TEST_WEBHOOK_SECRET,
      RAZORPAY_API_BASE: simulator.url,
      RAZORPAY_TIMEOUT_MS: "3000",
    }),
    webhooksTo: (simulator, url) =>
      simulator.simulator.setWebhookUrl(`${url}/api/v1/payments/razorpay/webhook`),
    overrides,
  });
  return Object.defineProperties(served.stack, {
    razorpayUrl: { get: () => served.simulator().url },
    razorpay: { get: () => served.simulator().simulator },
  }) as RazorpayStack;
}

/** One simulator, the CRM stand-in and the app over HTTP, started before the file's tests and stopped after. */
function useServedApp<Simulator extends { url: string; stop(): Promise<void> }>(
  target: StoreTarget,
  provider: {
    start(): Simulator;
    settings(simulator: Simulator): Record<string, string>;
    webhooksTo(simulator: Simulator, appUrl: string): void;
    overrides: Record<string, string>;
  },
) {
  const db = useStore(target);
  const holder = {} as {
    app: App;
    config: Config;
    server: ReturnType<typeof Bun.serve>;
    simulator: Simulator;
    crmStandIn: CrmStandIn;
    crm: CrmSync;
  };
  const logs: string[] = [];
  const appUrl = () => `http://127.0.0.1:${holder.server.port}`;
  beforeAll(() => {
    holder.crmStandIn = startCrmStandIn();
    holder.simulator = provider.start();
    holder.config = testConfig({
      DATABASE_URL: db.url,
      ...provider.settings(holder.simulator),
      CRM_URL: holder.crmStandIn.url,
      CRM_TIMEOUT_MS: "1000",
      CRM_WAIT_MS: "2000",
      CRM_RETRY_BASE_MS: "50",
      CRM_RETRY_MAX_MS: "200",
      APP_URL: "http://shop.test",
      ...provider.overrides,
    });
    Object.assign(holder, serveApp(holder.config, db.store, logs));
    provider.webhooksTo(holder.simulator, appUrl());
  });
  afterAll(async () => {
    await holder.crm?.stop();
    holder.server?.stop(true);
    await holder.simulator?.stop();
    await holder.crmStandIn?.stop();
  });
  const stack: ServedApp = {
    get app() {
      return holder.app;
    },
    get store() {
      return db.store;
    },
    get config() {
      return holder.config;
    },
    get appUrl() {
      return appUrl();
    },
    get crmStandIn() {
      return holder.crmStandIn;
    },
    get crm() {
      return holder.crm;
    },
    logs,
  };
  return { stack, simulator: () => holder.simulator };
}

/** The app over HTTP on a free port, with a CRM sync of its own whose log lines go to `logs`. */
function serveApp(config: Config, store: DrizzleStore, logs: string[]) {
  const log = (fields: Record<string, unknown>) => logs.push(JSON.stringify(fields));
  const metrics = Metrics.for(store);
  const crm = new CrmSync(config, store, metrics.tap(log));
  const app = createApp({
    config,
    store,
    crm,
    metrics,
    passwords: bunPasswordHasher,
    remoteAddress: (c) => c.req.header("X-Test-Peer") ?? "127.0.0.1",
    logSink: (line) => logs.push(line),
  });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  return { app, crm, server };
}
