import type { Context, MiddlewareHandler } from "hono";

export type RemoteAddress = (c: Context) => string | undefined;

/**
 * The client's address. X-Forwarded-For is believed only when the direct peer is a configured proxy, and
 * then only up to the first hop that is not one, so a client cannot choose its own address. A proxy left out of
 * TRUSTED_PROXIES would make every client share its address (and its sign-in limits): the first forwarded
 * request from an untrusted peer is logged once as a warning.
 */
export function clientIp(
  remoteAddress: RemoteAddress,
  trustedProxies: string[],
  warn: (message: string) => void,
): MiddlewareHandler {
  const trusted = new Set(trustedProxies.map(normalize));
  let warned = false;
  return async (c, next) => {
    const peer = normalize(remoteAddress(c) ?? "unknown");
    let ip = peer;
    if (!trusted.has(peer) && !warned && c.req.header("X-Forwarded-For") !== undefined) {
      warned = true;
      warn(
        `X-Forwarded-For came from ${peer}, which is not in TRUSTED_PROXIES, so it was ignored; if ${peer} is your proxy, add it, or every client behind it shares one address`,
      );
    }
    if (trusted.has(peer)) {
      const hops = (c.req.header("X-Forwarded-For") ?? "")
        .split(",")
        .map((hop) => normalize(hop.trim()))
        .filter(Boolean);
      while (hops.length > 0) {
        const hop = hops.pop() as string;
        ip = hop;
        if (!trusted.has(hop)) break;
      }
    }
    c.set("clientIp", ip);
    await next();
  };
}

function normalize(address: string): string {
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}
