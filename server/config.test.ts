import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig, parseDuration } from "./config.ts";

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

  test("production accepts no development default", () => {
    expect(problemsOf({ NODE_ENV: "production" })).toEqual(
      expect.arrayContaining([
        "JWT_SECRET is required in production",
        "STRIPE_SECRET_KEY is required in production (or set STRIPE_API_BASE)",
        "STRIPE_WEBHOOK_SECRET is required in production (or set STRIPE_API_BASE)",
      ]),
    );
    expect(problemsOf({ NODE_ENV: "production", JWT_SECRET: "short-secret-1234" })[0]).toContain(
      "at least 32 characters",
    );
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
