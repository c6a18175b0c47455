import { createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/**
 * Security headers for everything the app serves, with a Content-Security-Policy of its own (nginx sets one for
 * the site it serves, but the app must not rely on a proxy): only this origin's scripts, styles, images and
 * connections, no framing, forms posted only here. The server-rendered pages' inline stylesheets are allowed by
 * their hashes, so no inline style or script anyone injects would run.
 */
export function securityHeaders(inlineStyles: string[]): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", ...inlineStyles.map(sha256)],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  });
}

/** Answers that carry a customer's or an admin's data must never be kept by a browser or a proxy. */
export const noStore: MiddlewareHandler = async (c, next) => {
  await next();
  c.header("Cache-Control", "no-store");
};
