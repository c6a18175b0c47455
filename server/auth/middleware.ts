import type { MiddlewareHandler } from "hono";
import type { Role } from "../../db/store.ts";
import type { Config } from "../config.ts";
import { AppError } from "../shared/errors.ts";
import type { KnownUsers } from "./known-users.ts";
import { readToken, type TokenClaims } from "./tokens.ts";

/** Past this many tokens the memory of verified ones starts over. */
const MAX_VERIFIED_TOKENS = 10_000;

export interface AuthUser {
  id: number;
  email: string;
  role: Role;
  /** Tokens issued before the last password or role change carry an older one and are refused. */
  tokenVersion: number;
}

declare module "hono" {
  interface ContextVariableMap {
    /** The signed-in user, on routes behind requireUser. */
    user: AuthUser;
  }
}

/**
 * Requires a valid bearer token of a user who still exists and has not changed password or role since it was issued
 * (as of AUTH_USER_CACHE_MS ago); sets c.var.user.
 */
export function requireUser(config: Config, users: KnownUsers): MiddlewareHandler {
  // A token is its own proof: once its signature checked out, the same string needs no HMAC again until it expires.
  const verified = new Map<string, TokenClaims>();
  const claimsOf = async (token: string) => {
    const known = verified.get(token);
    if (known && known.expiresAt > Date.now()) return known;
    const claims = await readToken(config, token);
    if (claims) {
      if (verified.size >= MAX_VERIFIED_TOKENS) verified.clear();
      verified.set(token, claims);
    }
    return claims;
  };
  return async (c, next) => {
    const header = c.req.header("Authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw AppError.unauthenticated("Sign in first: send Authorization: Bearer <token>.");
    const claims = await claimsOf(match[1]);
    if (!claims) throw AppError.unauthenticated("The token is invalid or has expired. Sign in again.");
    const user = await users.find(claims.userId, claims.version);
    if (!user || user.tokenVersion !== claims.version)
      throw AppError.unauthenticated("The token is invalid or has expired. Sign in again.");
    c.set("user", user);
    await next();
  };
}

/** After requireUser: only users with `role` go on; anyone else signed in gets 403. */
export function requireRole(role: Role, detail: string): MiddlewareHandler {
  return async (c, next) => {
    if (c.var.user?.role !== role) throw AppError.forbidden(detail);
    await next();
  };
}
