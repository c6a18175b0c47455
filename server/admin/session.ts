import { createHash, createHmac, randomBytes } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { User, UsersPart } from "../../db/store.ts";
import type { Config } from "../config.ts";

export const SESSION_COOKIE = "admin_session";
/** Activity is written at most this often, so browsing the admin does not write on every page. */
const TOUCH_EVERY_MS = 60_000;

export interface AdminSession {
  user: User;
  csrfToken: string;
  /** The session's row: kept when its admin changes password, while every other session ends. */
  tokenHash: string;
}

/**
 * Admin sessions live in the database: the cookie holds a random token, the table its SHA-256. Signing out,
 * a new password, losing the admin role or deleting the user ends a session on every instance at once; so do
 * ADMIN_SESSION_IDLE_MINUTES without a request and ADMIN_SESSION_MAX_HOURS after sign-in.
 */
export async function startAdminSession(
  c: Context,
  config: Config,
  store: UsersPart,
  user: User,
): Promise<void> {
  const token = randomBytes(32).toString("base64url");
  const now = new Date();
  const maxSeconds = config.ADMIN_SESSION_MAX_HOURS * 3600;
  await store.deleteExpiredAdminSessions(now, idleSince(config, now));
  await store.createAdminSession({
    tokenHash: hashToken(token),
    userId: user.id,
    createdAt: now,
    expiresAt: new Date(now.getTime() + maxSeconds * 1000),
  });
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    secure: config.NODE_ENV === "production",
    path: "/admin",
    maxAge: maxSeconds,
  });
}

export async function endAdminSession(c: Context, config: Config, store: UsersPart): Promise<void> {
  const token = getCookie(c, SESSION_COOKIE);
  if (token) await store.deleteAdminSession(hashToken(token));
  deleteCookie(c, SESSION_COOKIE, { path: "/admin", secure: config.NODE_ENV === "production" });
}

/** The signed-in admin, re-checked against the database on every request; undefined for anyone else. */
export async function readAdminSession(
  c: Context,
  config: Config,
  store: UsersPart,
): Promise<AdminSession | undefined> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token || !/^[\w-]{43}$/.test(token)) return undefined;
  const tokenHash = hashToken(token);
  const now = new Date();
  const user = await store.findAdminSession(tokenHash, now, idleSince(config, now));
  if (!user) return undefined;
  await store.touchAdminSession(tokenHash, now, new Date(now.getTime() - TOUCH_EVERY_MS));
  return { user, csrfToken: csrfTokenFor(config, tokenHash), tokenHash };
}

function idleSince(config: Config, now: Date): Date {
  return new Date(now.getTime() - config.ADMIN_SESSION_IDLE_MINUTES * 60_000);
}

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A per-session form token: HMAC of the session, so it needs no storage and dies with the session. */
function csrfTokenFor(config: Config, sessionHash: string): string {
  return createHmac("sha256", config.JWT_SECRET).update(`admin-form:${sessionHash}`).digest("hex");
}
