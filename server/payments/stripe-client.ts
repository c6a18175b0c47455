import Stripe from "stripe";
import type { Config } from "../config.ts";
import { AppError } from "../shared/errors.ts";

export type StripeClient = Stripe;
export type CheckoutSession = Stripe.Checkout.Session;

/**
 * The official SDK over fetch (web-standard, so the Node entry runs it too). STRIPE_API_BASE points it at a
 * Stripe-compatible server such as the bundled simulator.
 */
export function createStripeClient(config: Config): StripeClient | undefined {
  if (!config.STRIPE_SECRET_KEY) return undefined;
  const base = config.STRIPE_API_BASE ? new URL(config.STRIPE_API_BASE) : undefined;
  return new Stripe(config.STRIPE_SECRET_KEY, {
    httpClient: Stripe.createFetchHttpClient(),
    timeout: config.STRIPE_TIMEOUT_MS,
    maxNetworkRetries: 1,
    telemetry: false,
    ...(base && {
      host: base.hostname,
      port: base.port || (base.protocol === "https:" ? 443 : 80),
      protocol: base.protocol.replace(":", "") as "http" | "https",
    }),
  });
}

export const webhookCrypto = Stripe.createSubtleCryptoProvider();

export function requireStripe(deps: { stripe: StripeClient | undefined }): StripeClient {
  if (!deps.stripe)
    throw new AppError("not-configured", "Payments are not configured on this server (STRIPE_SECRET_KEY).");
  return deps.stripe;
}
