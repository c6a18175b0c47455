import { sign, verify } from "hono/jwt";
import type { Config } from "../config.ts";

/** The only algorithm accepted: pinning it defeats `alg: none` and algorithm-confusion tokens. */
const ALGORITHM = "HS256";

export interface TokenClaims {
  userId: number;
  role: string;
  /** The user's token version when the token was issued (0 for tokens from before versions existed). */
  version: number;
  /** When the token expires, in ms since 1970. */
  expiresAt: number;
}

export function issueToken(
  config: Config,
  user: { id: number; role: string; tokenVersion: number },
  now = Date.now(),
): Promise<string> {
  const issuedAt = Math.floor(now / 1000);
  return sign(
    {
      sub: String(user.id),
      role: user.role,
      ver: user.tokenVersion,
      iat: issuedAt,
      exp: issuedAt + config.JWT_TTL,
    },
    config.JWT_SECRET,
    ALGORITHM,
  );
}

/**
 * Undefined for any token that is malformed, tampered, expired, not yet valid or not HS256. A token signed with
 * JWT_SECRET_PREVIOUS verifies too, so that rotating the secret signs nobody out (docs/production.md).
 */
export async function readToken(config: Config, token: string): Promise<TokenClaims | undefined> {
  for (const secret of [config.JWT_SECRET, config.JWT_SECRET_PREVIOUS]) {
    if (secret === undefined) continue;
    try {
      const payload = await verify(token, secret, ALGORITHM);
      // A token with an audience was issued for something else, not for the API.
      if (typeof payload.exp !== "number" || payload.aud !== undefined) return undefined;
      const userId = Number(payload.sub);
      if (!Number.isSafeInteger(userId) || userId <= 0) return undefined;
      const version = payload.ver ?? 0;
      if (!Number.isSafeInteger(version)) return undefined;
      return {
        userId,
        role: String(payload.role),
        version: version as number,
        expiresAt: payload.exp * 1000,
      };
    } catch {}
  }
  return undefined;
}
