import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Config } from "../config.ts";
import { AppError } from "../shared/errors.ts";

/**
 * Refuses a body past BODY_LIMIT_BYTES (or `maxBytes`, for the one form that takes a file) as a too-large AppError,
 * which the app that mounts it answers in its way.
 */
export function limitBody(
  config: Pick<Config, "BODY_LIMIT_BYTES">,
  maxBytes = config.BODY_LIMIT_BYTES,
): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new AppError("too-large", `The request body is larger than ${maxBytes} bytes.`);
    },
  });
}
