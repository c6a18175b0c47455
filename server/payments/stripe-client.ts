import Stripe from "stripe";
import type { Config } from "../config.ts";
import { AppError } from "../shared/errors.ts";

type Log = (fields: Record<string, unknown>) => void;

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

export const paymentsSimulated = (config: Config) => config.STRIPE_API_BASE !== undefined;

export function requireStripe(deps: { stripe: StripeClient | undefined }): StripeClient {
  if (!deps.stripe)
    throw new AppError("not-configured", "Payments are not configured on this server (STRIPE_SECRET_KEY).");
  return deps.stripe;
}

/** Stripe's failures as our problems: unreachable -> 503, its own errors -> 502; the order is untouched. */
export function providerError(deps: { log: Log }, error: unknown, action: string): never {
  if (error instanceof AppError) throw error;
  if (error instanceof Stripe.errors.StripeError) {
    deps.log({
      level: "error",
      msg: `stripe ${action} failed`,
      type: error.type,
      status: error.statusCode,
      error: error.message,
    });
    if (error instanceof Stripe.errors.StripeConnectionError) {
      throw new AppError(
        "provider-unavailable",
        "The payment provider cannot be reached right now. Please try again shortly.",
        { retryAfterSeconds: 5 },
      );
    }
    throw new AppError(
      "provider-failed",
      "The payment provider reported an error. Please try again shortly.",
    );
  }
  throw error;
}
