import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

/** Origins a payment provider's checkout needs beyond this one's, by what it loads from them. */
export interface CheckoutSources {
  script: string[];
  frame: string[];
  connect: string[];
  img: string[];
}

/**
 * Security headers for everything the app serves, with a Content-Security-Policy of its own (nginx sets one for
 * the site it serves, but the app must not rely on a proxy): only this origin's scripts, styles, images and
 * connections, no framing, forms posted only here; `checkout` adds the payment provider's origins when its
 * checkout opens in the page (Razorpay's). No inline style or script runs at all, so none that anyone injects
 * would: every page links its stylesheets and scripts as files.
 */
export function securityHeaders(checkout: CheckoutSources): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", ...checkout.script],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:", ...checkout.img],
      connectSrc: ["'self'", ...checkout.connect],
      ...(checkout.frame.length > 0 && { frameSrc: checkout.frame }),
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  });
}

/**
 * Answers that carry a customer's or an admin's data must never be kept by a browser or a proxy. Set on the
 * answer's own headers, as hono/secure-headers does: `c.header` after the handler copies the whole Response.
 */
export const noStore: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set("Cache-Control", "no-store");
};
