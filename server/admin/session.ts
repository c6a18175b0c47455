import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { sign, verify } from "hono/jwt";
import type { Store, User } from "../../db/store.ts";
import type { Config } from "../config.ts";

export const SESSION_COOKIE = "admin_session";
const SESSION_SECONDS = 8 * 3600;
/** The audience separates admin sessions from customer API tokens signed with the same secret. */
const AUDIENCE = "admin";

export interface AdminSession {
  user: User;
  csrfToken: string;
}

export async function startAdminSession(c: Context, config: Config, user: User): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const token = await sign(
    { sub: String(user.id), aud: AUDIENCE, jti: crypto.randomUUID(), iat: now, exp: now + SESSION_SECONDS },
    config.JWT_SECRET,
    "HS256",
  );
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    secure: config.NODE_ENV === "production",
    path: "/admin",
    maxAge: SESSION_SECONDS,
  });
}

export function endAdminSession(c: Context, config: Config): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/admin", secure: config.NODE_ENV === "production" });
}

/** The signed-in admin, re-checked against the database on every request; undefined for anyone else. */
export async function readAdminSession(
  c: Context,
  config: Config,
  store: Store,
): Promise<AdminSession | undefined> {
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return undefined;
  try {
    const payload = await verify(token, config.JWT_SECRET, "HS256");
    if (payload.aud !== AUDIENCE || typeof payload.jti !== "string") return undefined;
    const user = await store.findUserById(Number(payload.sub));
    if (user?.role !== "admin") return undefined;
    return { user, csrfToken: await csrfTokenFor(config, payload.jti) };
  } catch {
    return undefined;
  }
}

/** A per-session form token: HMAC of the session id, so it needs no storage and dies with the session. */
async function csrfTokenFor(config: Config, sessionId: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(config.JWT_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`admin-form:${sessionId}`));
  return [...new Uint8Array(mac)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
