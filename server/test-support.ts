import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DrizzleStore } from "../db/drizzle-store.ts";
import { migrateDatabase } from "../db/migrate-store.ts";
import { openStore } from "../db/open-store.ts";
import { type App, createApp } from "./app.ts";
import { type Config, testConfig } from "./config.ts";
import { bunPasswordHasher } from "./runtime/passwords.ts";

export interface StoreTarget {
  name: "sqlite" | "mysql";
  url: () => string;
}

/**
 * The databases every store-facing suite runs on: SQLite always, MariaDB/MySQL when TEST_MYSQL_URL is set.
 * With CI=true a missing TEST_MYSQL_URL is an error, so CI can never pass by silently testing less.
 */
export function storeTargets(): StoreTarget[] {
  const targets: StoreTarget[] = [{ name: "sqlite", url: () => `file:${join(tempDir(), "test.db")}` }];
  const mysqlUrl = process.env.TEST_MYSQL_URL;
  if (mysqlUrl) targets.push({ name: "mysql", url: () => mysqlUrl });
  else if (process.env.CI === "true")
    throw new Error("CI=true but TEST_MYSQL_URL is not set: MySQL tests must run.");
  return targets;
}

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

/** Migrates the target once and opens a store on it for the enclosing describe block. */
export function useStore(target: StoreTarget): { readonly store: DrizzleStore; readonly url: string } {
  const holder = {} as { store: DrizzleStore; url: string };
  beforeAll(async () => {
    holder.url = target.name === "sqlite" ? `file:${join(freshTempDir(), "app.db")}` : target.url();
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

export async function registerCustomer(app: App, label = "customer") {
  const email = uniqueEmail(label);
  const response = await request(app, "POST", "/api/v1/auth/register", {
    body: { email, password: "correct horse battery", name: label },
  });
  if (response.status !== 201)
    throw new Error(`register failed: ${response.status} ${await response.text()}`);
  const body = await response.json();
  return {
    email,
    password: "correct horse battery",
    token: body.token as string,
    userId: body.user.id as number,
  };
}
