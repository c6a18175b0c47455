import Stripe from "stripe";
import { AppError } from "../shared/errors.ts";
import { RazorpayApiError, RazorpayConnectionError } from "./razorpay-client.ts";

type Log = (fields: Record<string, unknown>) => void;

/**
 * A payment provider's failure as our problem: unreachable (or no answer in time) -> 503 with Retry-After, its
 * own errors -> 502; the order is untouched.
 */
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
    if (error instanceof Stripe.errors.StripeConnectionError) throw unreachable();
    throw failed();
  }
  if (error instanceof RazorpayConnectionError || error instanceof RazorpayApiError) {
    deps.log({
      level: "error",
      msg: `razorpay ${action} failed`,
      ...(error instanceof RazorpayApiError && { status: error.statusCode, code: error.code }),
      error: error.message,
    });
    throw error instanceof RazorpayConnectionError ? unreachable() : failed();
  }
  throw error;
}

const unreachable = () =>
  new AppError(
    "provider-unavailable",
    "The payment provider cannot be reached right now. Please try again shortly.",
    {
      retryAfterSeconds: 5,
    },
  );

const failed = () =>
  new AppError("provider-failed", "The payment provider reported an error. Please try again shortly.");
