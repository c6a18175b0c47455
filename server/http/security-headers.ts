import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

/**
 * Security headers for everything the app serves, with a Content-Security-Policy of its own (nginx sets one for
 * the site it serves, but the app must not rely on a proxy): only this origin's scripts, styles, images and
 * connections, no framing, forms posted only here. No inline style or script runs at all, so none that anyone
 * injects would: every page links its stylesheets and scripts as files.
 */
export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
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
