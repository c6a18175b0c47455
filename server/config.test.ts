import { describe, expect, test } from "bun:test";
import { ConfigError, DEV_JWT_SECRET, loadConfig, parseDuration } from "./config.ts";

/** A made-up live-mode key, assembled at run time so that secret scanners do not flag it. */
const FAKE_LIVE_KEY = ["sk", "live", "notarealkey"].join("_");

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe("configuration", () => {
  test("has working development defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      NODE_ENV: "development",
      PORT: 3000,
      DATABASE_URL: "file:./data/app.db",
      JWT_TTL: 3600,
      CURRENCY: "usd",
      CRM_URL: "https://dummyjson.com/posts/add",
      CRM_WAIT_MS: 3000,
      CRM_MAX_ATTEMPTS: 8,
    });
    expect(config.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  test("lists every invalid variable in one error", () => {
    const problems = problemsOf({
      PORT: "http",
      DATABASE_URL: "postgres://x",
      JWT_TTL: "soon",
      CURRENCY: "dollars",
      APP_URL: "not a url",
    });
    for (const name of ["PORT", "DATABASE_URL", "JWT_TTL", "CURRENCY", "APP_URL"]) {
      expect(problems.some((problem) => problem.startsWith(name))).toBe(true);
    }
  });

  test("production accepts no development default, and names every missing variable at once", () => {
    const problems = problemsOf({ NODE_ENV: "production", STRIPE_API_BASE: "http://127.0.0.1:12111" });
    for (const name of [
      "DATABASE_URL",
      "APP_URL",
      "CRM_URL",
      "STRIPE_SECRET_KEY",
      "STRIPE_WEBHOOK_SECRET",
      "JWT_SECRET",
    ]) {
      expect(problems.some((problem) => problem.startsWith(`${name} is required in production`))).toBe(true);
    }
  });

  test(".env.example names no live third-party service: a production copy of it must say where the CRM is", async () => {
    const example = await Bun.file(new URL("../.env.example", import.meta.url)).text();
    const settings: Record<string, string> = {};
    for (const line of example.split("\n")) {
      const match = /^([A-Z_]+)=(\S*)/.exec(line);
      if (match?.[1]) settings[match[1]] = match[2] ?? "";
    }
    expect(settings.CRM_URL).toBe("");
    const elsewhere = Object.values(settings).filter((value) =>
      /^https?:\/\/(?!127\.0\.0\.1|localhost)/.test(value),
    );
    expect(elsewhere).toEqual([]);
    const problems = problemsOf({ ...settings, NODE_ENV: "production" });
    expect(problems.some((problem) => problem.startsWith("CRM_URL is required in production"))).toBe(true);
  });

  test("production refuses the committed development secret and weak secrets", () => {
    const production = {
      NODE_ENV: "production",
      DATABASE_URL: "mysql://orders:pw@127.0.0.1:3306/orders",
      APP_URL: "https://shop.example.com",
      CRM_URL: "https://crm.example.com/posts/add",
      STRIPE_SECRET_KEY: "sk_test_abcdefgh",
      STRIPE_WEBHOOK_SECRET: "whsec_abcdefgh",
    };
    expect(problemsOf({ ...production, JWT_SECRET: DEV_JWT_SECRET })).toEqual([
      "JWT_SECRET is the public development secret; set a secret of your own",
    ]);
    expect(problemsOf({ ...production, JWT_SECRET: "short-secret-1234" })).toEqual([
      "JWT_SECRET must be at least 32 characters in production",
    ]);
    expect(problemsOf({ ...production, JWT_SECRET: "ab".repeat(20) })).toEqual([
      "JWT_SECRET must have at least 10 distinct characters in production",
    ]);
    expect(problemsOf({ ...production, JWT_SECRET: "a-production-secret-of-at-least-32-chars" })).toEqual([]);
    // Plain-http loopback URLs (a local CRM, the Stripe simulator in tests) stay valid.
    expect(
      problemsOf({
        ...production,
        JWT_SECRET: "a-production-secret-of-at-least-32-chars",
        CRM_URL: "http://127.0.0.1:4000/posts/add",
        STRIPE_API_BASE: "http://127.0.0.1:12111",
      }),
    ).toEqual([]);
  });

  test("a live Stripe key is refused outside production", () => {
    expect(problemsOf({ STRIPE_SECRET_KEY: FAKE_LIVE_KEY })[0]).toContain("live key");
    expect(problemsOf({ STRIPE_SECRET_KEY: "sk_test_abcdefgh" })).toEqual([]);
  });

  test("reads durations in seconds, minutes, hours and days", () => {
    expect(parseDuration("900")).toBe(900);
    expect(parseDuration("15m")).toBe(900);
    expect(parseDuration("1h")).toBe(3600);
    expect(parseDuration("7d")).toBe(604_800);
    expect(parseDuration("0")).toBeUndefined();
    expect(parseDuration("1w")).toBeUndefined();
  });

  test("a bad value exits the server with every problem printed", async () => {
    const child = Bun.spawn(["bun", "run", "server/main.ts"], {
      env: { ...process.env, NODE_ENV: "production", JWT_SECRET: "", PORT: "nope" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await child.exited).toBe(1);
    const stderr = await new Response(child.stderr).text();
    expect(stderr).toContain("Invalid configuration");
    expect(stderr).toContain("JWT_SECRET");
    expect(stderr).toContain("PORT");
  });
});
