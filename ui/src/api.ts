import { signal } from "@preact/signals";

import type { components } from "./api-types.ts";

/*
 * The API's shapes come from its OpenAPI document (ui/src/api-types.ts, `bun run api:types`, checked current by
 * ui/api-types.test.ts): a change to a response breaks this site's typecheck instead of its pages.
 */
type Schemas = components["schemas"];
export type User = Schemas["Session"]["user"];
export type Product = Schemas["Product"];
export type Refund = Schemas["Refund"];
export type Order = Schemas["Order"] & Partial<Pick<Schemas["ConfirmedOrder"], "payment_status">>;
export type Checkout = Schemas["Checkout"];
export type RazorpayCheckout = Schemas["RazorpayCheckout"];
export type ConfirmPayment = Schemas["ConfirmPayment"];
export type Summary = Schemas["Summary"];

/** The paginated envelope every list answers with (`ProductPage`, `OrderPage`). */
export type Page<T> = Omit<Schemas["ProductPage"], "results"> & { results: T[] };

/** An RFC 9457 problem from the API, or a network failure put in the same words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly fieldErrors: Record<string, string[]> = {},
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

const TOKEN_KEY = "shop.token";
const USER_KEY = "shop.user";

function stored<T>(key: string): T | null {
  try {
    const text = localStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

export const session = signal<{ token: string; user: User } | null>(
  stored<string>(TOKEN_KEY) && stored<User>(USER_KEY)
    ? { token: stored<string>(TOKEN_KEY) as string, user: stored<User>(USER_KEY) as User }
    : null,
);

export function signIn(token: string, user: User): void {
  localStorage.setItem(TOKEN_KEY, JSON.stringify(token));
  localStorage.setItem(USER_KEY, JSON.stringify(user));
  session.value = { token, user };
  sessionEnded.value = false;
}

/** Set when the server refused the stored token, so that sign-in can say the session ended. */
export const sessionEnded = signal(false);

/** A one-time message for the page at `url` (a greeting after registering). */
export const flash = signal<{ text: string; url: string } | null>(null);

export type SignInReason = "buy" | "expired" | "protected";

/** Where to send a visitor to sign in: back to `next` afterwards, saying why they were sent. */
export function signInPath(next: string, reason: SignInReason): string {
  return `/signin?${new URLSearchParams({ next, reason: sessionEnded.value ? "expired" : reason })}`;
}

export function signOut(): void {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
  session.value = null;
}

const base = (import.meta.env?.VITE_API_BASE_URL ?? "").replace(/\/$/, "");

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const token = session.value?.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(`${base}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "The shop cannot be reached. Check your connection and try again.");
  }
  const text = await response.text();
  let data: Record<string, unknown> = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    if (!response.ok) throw new ApiError(response.status, unreadableFailure(response.status));
  }
  if (response.ok) return data as T;
  if (response.status === 401 && token) {
    sessionEnded.value = true;
    signOut();
  }
  const {
    type: _type,
    title,
    status: _status,
    detail,
    errors,
    instance: _instance,
    request_id: _id,
    ...extra
  } = data;
  throw new ApiError(
    response.status,
    String(detail ?? title ?? unreadableFailure(response.status)),
    (errors as Record<string, string[]>) ?? {},
    extra,
  );
}

/** What a customer is told when the answer says nothing readable: in words, without a status code. */
function unreadableFailure(status: number): string {
  return status >= 502 && status <= 504
    ? "The shop is not answering right now. Please try again in a moment."
    : "Something went wrong on our side. Please try again in a moment.";
}

export const api = {
  register: (input: { email: string; password: string; name?: string }) =>
    call<{ user: User; token: string }>("POST", "/auth/register/", input),
  login: (input: { email: string; password: string }) =>
    call<{ user: User; token: string }>("POST", "/auth/login/", input),
  changePassword: (input: { currentPassword: string; newPassword: string }) =>
    call<{ user: User; token: string }>("POST", "/auth/password/", input),
  meta: () => call<Schemas["Meta"]>("GET", "/meta"),
  products: (page: number) => call<Page<Product>>("GET", `/products/?page=${page}&page_size=12`),
  createOrder: (items: { product_id: number; quantity: number }[]) =>
    call<Order>("POST", "/orders/", { items }),
  orders: (page: number) => call<Page<Order>>("GET", `/orders/?page=${page}&page_size=20`),
  order: (id: number) => call<Order>("GET", `/orders/${id}/`),
  createPayment: (id: number) => call<Checkout>("POST", `/orders/${id}/create-payment/`),
  confirmPayment: (id: number, proof: ConfirmPayment = {}) =>
    call<Order>("POST", `/orders/${id}/confirm-payment/`, proof),
  cancelOrder: (id: number) => call<Order>("POST", `/orders/${id}/cancel/`),
  summary: () => call<Summary>("GET", "/reports/summary/"),
};

export function formatMoney(amount: string, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency.toUpperCase() }).format(
      Number(amount),
    );
  } catch {
    return `${amount} ${currency.toUpperCase()}`;
  }
}
