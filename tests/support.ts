import { afterAll, beforeAll, describe } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hc } from "hono/client";
import type { DrizzleStore } from "../db/drizzle-store.ts";
import { migrateDatabase } from "../db/migrate-store.ts";
import { openStore } from "../db/open-store.ts";
import { ensureAdmin } from "../server/admin/admins.ts";
import { type Api, type App, createApp } from "../server/app.ts";
import { type Config, testConfig } from "../server/config.ts";
import { bunPasswordHasher } from "../server/runtime/passwords.ts";

export interface StoreTarget {
  name: "sqlite" | "mysql";
  url: () => string;
  /** `describe` when the database is there, `describe.skip` when not, so its suites show up as skipped. */
  describe: typeof describe;
}

/**
 * The databases every store-facing suite runs on: SQLite always, MariaDB/MySQL when TEST_MYSQL_URL is set (its
 * suites are reported as skipped otherwise). With CI=true a missing TEST_MYSQL_URL is an error, so CI can never
 * pass by silently testing less.
 */
export function storeTargets(): StoreTarget[] {
  const mysqlUrl = process.env.TEST_MYSQL_URL;
  if (!mysqlUrl && process.env.CI === "true")
    throw new Error("CI=true but TEST_MYSQL_URL is not set: MySQL tests must run.");
  return [
    { name: "sqlite", url: () => `file:${join(tempDir(), "test.db")}`, describe },
    { name: "mysql", url: () => mysqlUrl ?? "", describe: mysqlUrl ? describe : describe.skip },
  ];
}

export const mysqlTarget = () => storeTargets()[1] as StoreTarget;

let sharedTempDir: string | undefined;
function tempDir(): string {
  sharedTempDir ??= mkdtempSync(join(tmpdir(), "orders-test-"));
  return sharedTempDir;
}

export function freshTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "orders-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A database of the test's own, empty but for the migrations (the committed ones, or those in the folder
 * `migrationsFolder` names), on the target's server: for what only a shop with no history shows. `drop` removes it
 * (MySQL) or its file (SQLite).
 */
export async function freshDatabase(
  target: StoreTarget,
  migrationsFolder?: (dialect: StoreTarget["name"]) => string,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (target.name === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "orders-fresh-"));
    const url = `file:${join(dir, "app.db")}`;
    await migrateDatabase(url, migrationsFolder?.("sqlite"));
    return { url, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const url = new URL(target.url());
  const name = `${url.pathname.slice(1)}_fresh_${crypto.randomUUID().slice(0, 8)}`;
  const server = await rawSql(target.url());
  await server.all(`CREATE DATABASE \`${name}\``);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString(), migrationsFolder?.("mysql"));
  return {
    url: url.toString(),
    async drop() {
      await server.all(`DROP DATABASE \`${name}\``);
      await server.close();
    },
  };
}

/** Migrates the target once and opens a store on it for the enclosing describe block. */
export function useStore(target: StoreTarget): { readonly store: DrizzleStore; readonly url: string } {
  const holder = {} as { store: DrizzleStore; url: string };
  const sqliteDir = target.name === "sqlite" ? freshTempDir() : undefined;
  beforeAll(async () => {
    holder.url = sqliteDir ? `file:${join(sqliteDir, "app.db")}` : target.url();
    await migrateDatabase(holder.url);
    holder.store = await openStore(holder.url, { poolSize: 20 });
  });
  afterAll(async () => {
    await holder.store?.close();
  });
  return holder;
}

export interface TestApp {
  readonly app: App;
  readonly store: DrizzleStore;
  readonly config: Config;
}

export function useApp(target: StoreTarget, overrides: Record<string, string> = {}): TestApp {
  const db = useStore(target);
  const holder = {} as { app: App; config: Config };
  beforeAll(() => {
    holder.config = testConfig({ DATABASE_URL: db.url, ...overrides });
    holder.app = createApp({
      config: holder.config,
      store: db.store,
      passwords: bunPasswordHasher,
      remoteAddress: (c) => c.req.header("X-Test-Peer") ?? "127.0.0.1",
    });
  });
  return {
    get app() {
      return holder.app;
    },
    get store() {
      return db.store;
    },
    get config() {
      return holder.config;
    },
  };
}

/**
 * A client address of the test's own (in the documentation range, sent as X-Test-Peer), so that limits counted
 * per address in a database that outlives the run start at zero.
 */
export function testAddress(): string {
  const groups = crypto.randomUUID().replaceAll("-", "").slice(0, 16).match(/.{4}/g) as string[];
  return `2001:db8:${groups.join(":")}::1`;
}

export function uniqueEmail(label = "user"): string {
  return `${label}-${crypto.randomUUID().slice(0, 12)}@example.test`;
}

export function request(
  app: App,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers["Content-Type"] ??= "application/json";
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  return app.request(path, {
    method,
    headers,
    body:
      options.body === undefined
        ? undefined
        : typeof options.body === "string"
          ? options.body
          : JSON.stringify(options.body),
  });
}

/**
 * The API as a typed client (Hono's `hc` over the app's exported `Api` type), calling the app in memory: paths,
 * inputs and answers are checked by the compiler, so a changed route or response shape breaks the tests' typecheck.
 * Tests that send what the types forbid (bad input, forged requests) use `request` instead.
 */
export function apiClient(app: App, options: { token?: string; headers?: Record<string, string> } = {}) {
  const headers = {
    ...options.headers,
    ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
  };
  return hc<Api>("http://localhost/api/v1", {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => app.request(input, init),
    headers,
  });
}

export async function registerCustomer(app: App, label = "customer", headers: Record<string, string> = {}) {
  const email = uniqueEmail(label);
  const password = "correct horse battery";
  const response = await apiClient(app, { headers }).auth.register.$post({
    json: { email, password, name: label },
  });
  if (response.status !== 201)
    throw new Error(`register failed: ${response.status} ${await response.text()}`);
  const session = await response.json();
  return { email, password, token: session.token, userId: session.user.id };
}

/** A customer with a fresh pending order for a fresh product (price 1999 minor units unless told). */
export async function customerWithOrder(
  stack: TestApp,
  options: { priceMinor?: number; quantity?: number } = {},
) {
  const customer = await registerCustomer(stack.app);
  const product = await stack.store.createProduct({
    name: `Test product ${crypto.randomUUID().slice(0, 8)}`,
    description: "for tests",
    priceMinor: options.priceMinor ?? 1999,
    currency: stack.config.CURRENCY,
  });
  const response = await apiClient(stack.app, { token: customer.token }).orders.$post({
    json: { product_id: product.id, quantity: options.quantity ?? 2 },
  });
  if (response.status !== 201) throw new Error(`order failed: ${response.status} ${await response.text()}`);
  return { customer, product, order: await response.json() };
}

/**
 * Plain SQL on a test database, beside the store: to set up rows the API cannot make (an order paid last year)
 * and to count what a report must equal. Dates are passed as Date and come back as the driver returns them.
 */
export async function rawSql(url: string) {
  if (url.startsWith("mysql://")) {
    const { createConnection } = await import("mysql2/promise");
    const connection = await createConnection({ uri: url, timezone: "Z" });
    return {
      async all<T>(statement: string, params: unknown[] = []): Promise<T[]> {
        const [rows] = await connection.query(statement, params);
        return rows as T[];
      },
      close: () => connection.end(),
    };
  }
  const { Database } = await import("bun:sqlite");
  const sqlite = new Database(url.slice("file:".length));
  const bind = (params: unknown[]) =>
    params.map((param) => (param instanceof Date ? param.getTime() : param)) as never[];
  return {
    async all<T>(statement: string, params: unknown[] = []): Promise<T[]> {
      return sqlite.query(statement).all(...bind(params)) as T[];
    },
    close: async () => sqlite.close(),
  };
}

/** A signed-in admin's API token. */
export async function adminToken(app: App, store: DrizzleStore): Promise<string> {
  const credentials = { email: uniqueEmail("admin"), password: "admin password 1" };
  await ensureAdmin(store, bunPasswordHasher, credentials);
  const response = await apiClient(app).auth.login.$post({ json: credentials });
  if (response.status !== 200) throw new Error(`admin sign-in failed: ${response.status}`);
  return (await response.json()).token;
}
