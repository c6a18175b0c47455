import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { Config } from "../config.ts";
import { accountOf } from "./sign-in-limits.ts";

/** How long a browser that signed in to an account stays known to it. */
const KNOWN_FOR_SECONDS = 90 * 24 * 3600;

/**
 * A browser where the account's password was once given right: a signed cookie, one per account (its name is
 * the account's digest, so one browser can be known to several), that exempts the owner from the per-account
 * sign-in limit, the one strangers could exhaust from many addresses to lock the owner out. The per-address
 * limits still hold for it. Signed with JWT_SECRET; JWT_SECRET_PREVIOUS's cookies count during a rotation.
 */
export function isKnownDevice(c: Context, config: Config, email: string): boolean {
  const account = accountOf(email);
  const value = getCookie(c, cookieName(account));
  const match = /^(\d{1,12})\.([0-9a-f]{64})$/.exec(value ?? "");
  if (!match) return false;
  const issuedAt = Number(match[1]);
  if (Date.now() / 1000 - issuedAt > KNOWN_FOR_SECONDS) return false;
  const given = Buffer.from(match[2] as string, "hex");
  return [config.JWT_SECRET, config.JWT_SECRET_PREVIOUS].some(
    (secret) => secret !== undefined && timingSafeEqual(given, signature(secret, account, issuedAt)),
  );
}

/** After the right password: this browser is known to the account for KNOWN_FOR_SECONDS from now. */
export function rememberDevice(c: Context, config: Config, email: string): void {
  const account = accountOf(email);
  const issuedAt = Math.floor(Date.now() / 1000);
  setCookie(
    c,
    cookieName(account),
    `${issuedAt}.${signature(config.JWT_SECRET, account, issuedAt).toString("hex")}`,
    {
      httpOnly: true,
      sameSite: "Strict",
      secure: config.NODE_ENV === "production",
      path: "/",
      maxAge: KNOWN_FOR_SECONDS,
    },
  );
}

function cookieName(account: string): string {
  return `known_device_${createHash("sha256").update(account).digest("hex").slice(0, 16)}`;
}

function signature(secret: string, account: string, issuedAt: number): Buffer {
  return createHmac("sha256", secret).update(`known-device|${account}|${issuedAt}`).digest();
}
