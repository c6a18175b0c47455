import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

/** Origins a payment provider's checkout needs beyond this one's, by what it loads from them. */
export interface CheckoutSources {
  script: string[];
  frame: string[];
  connect: string[];
  img: string[];
}

/** The JSON API's prefix: its answers are data, never a document a browser renders. */
const API_PREFIX = "/api/v1/";

/**
 * Security headers for everything the app serves, by what it is:
 *
 * - Pages (the admin, the API docs, the site when the app serves it) get a Content-Security-Policy of their own
 *   (nginx sets one for the site it serves, but the app must not rely on a proxy): only this origin's scripts,
 *   styles, images and connections, no framing, forms posted only here; `checkout` adds the payment provider's
 *   origins when its checkout opens in the page (Razorpay's). No inline style or script runs at all, so none that
 *   anyone injects would: every page links its stylesheets and scripts as files.
 * - The JSON API's answers get the set OWASP's REST Security Cheat Sheet names for APIs: nothing may load or frame
 *   them (`default-src 'none'; frame-ancestors 'none'`, X-Frame-Options DENY), no MIME sniffing, HSTS, and
 *   Cross-Origin-Resource-Policy so that another site cannot pull a customer's data in as a resource. The
 *   document-only headers (opener and referrer policies, origin-agent clusters, the legacy XSS, DNS-prefetch,
 *   download and cross-domain ones) do nothing for data, and cost every answer 7 headers that every client parses
 *   (docs/performance.md, "The own-order read's answer").
 */
export function securityHeaders(checkout: CheckoutSources): MiddlewareHandler {
  const forPages = secureHeaders({
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
  const forApi = secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    xFrameOptions: "DENY",
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    referrerPolicy: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    removePoweredBy: false,
  });
  return (c, next) => (c.req.path.startsWith(API_PREFIX) ? forApi(c, next) : forPages(c, next));
}

/**
 * Answers that carry a customer's or an admin's data must never be kept by a browser or a proxy. Set on the
 * answer's own headers, as hono/secure-headers does: `c.header` after the handler copies the whole Response.
 */
export const noStore: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set("Cache-Control", "no-store");
};
