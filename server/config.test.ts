import { describe, expect, test } from "bun:test";
import { ConfigError, DEV_JWT_SECRET, entropyBits, loadConfig, parseDuration } from "./config.ts";

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

  test("DATABASE_URL may name the nodes of a cluster, and one that cannot be read is one line saying why", () => {
    expect(loadConfig({ DATABASE_URL: "mysql://orders:pw@db1:3306,db2:3306,db3/orders" }).DATABASE_URL).toBe(
      "mysql://orders:pw@db1:3306,db2:3306,db3/orders",
    );
    for (const [url, says] of [
      ["mysql://orders:pw@db1:3306,,db3:3306/orders", 'host 2 of 3 ("") is not host or host:port'],
      ["mysql://orders:pw@db1:3306;db2:3306/orders", "is not host or host:port"],
      ["mysql://orders:pw@db1:99999/orders", "port 99999, outside 1-65535"],
      ["mysql://orders:pw@db1:3306,db2:3306", "names no database"],
    ] as const) {
      const problems = problemsOf({ DATABASE_URL: url });
      expect({ url, problems }).toEqual({ url, problems: [expect.stringContaining(says)] });
      expect(problems[0]?.startsWith("DATABASE_URL")).toBe(true);
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

  describe("production refuses every weak setting, each with one line naming it", () => {
    const production = {
      NODE_ENV: "production",
      DATABASE_URL: "mysql://orders:pw@127.0.0.1:3306/orders",
      APP_URL: "https://shop.test",
      CRM_URL: "https://crm.test/posts/add",
      STRIPE_SECRET_KEY: "sk_test_abcdefgh",
      STRIPE_WEBHOOK_SECRET: "whsec_0123456789abcdefghijKLMNOPQRstuv",
      JWT_SECRET: "a-production-secret-of-at-least-32-chars",
      TRUSTED_PROXIES: "127.0.0.1,::1",
      MEDIA_DIR: "/var/lib/orders/media",
    };

    test("a complete production configuration passes", () => {
      expect(problemsOf(production)).toEqual([]);
      expect(loadConfig({ ...production, TRUSTED_PROXIES: "none" }).TRUSTED_PROXIES).toEqual([]);
    });

    test("pictures go to an absolute folder: the default beside the checkout is refused", () => {
      const { MEDIA_DIR: _, ...withoutMedia } = production;
      for (const settings of [withoutMedia, { ...production, MEDIA_DIR: "data/media" }])
        expect(problemsOf(settings)).toEqual([
          "MEDIA_DIR must be an absolute folder in production, such as /var/lib/orders/media (the one nginx serves /media/products/ from)",
        ]);
    });

    test("the committed development secret, a short one, and ones with too little entropy", () => {
      expect(problemsOf({ ...production, JWT_SECRET: DEV_JWT_SECRET })).toEqual([
        "JWT_SECRET is the public development secret; set a secret of your own",
      ]);
      expect(problemsOf({ ...production, JWT_SECRET: "short-secret-1234" })).toEqual([
        "JWT_SECRET must be at least 32 characters in production",
      ]);
      const guessable =
        "JWT_SECRET is too easy to guess (too few different characters, or a part repeated); use openssl rand -hex 32";
      for (const secret of [
        "a".repeat(40),
        "ab".repeat(20),
        "password1234".repeat(3),
        "abcdefghij".repeat(4),
      ])
        expect(problemsOf({ ...production, JWT_SECRET: secret })).toEqual([guessable]);
      expect(problemsOf({ ...production, METRICS_TOKEN: "a".repeat(32) })).toEqual([
        guessable.replace("JWT_SECRET", "METRICS_TOKEN"),
      ]);
      expect(problemsOf({ ...production, JWT_SECRET_PREVIOUS: "x".repeat(32) })).toEqual([
        guessable.replace("JWT_SECRET", "JWT_SECRET_PREVIOUS"),
      ]);
    });

    test("a random secret of 32 hexadecimal characters (128 bits) always passes", () => {
      for (let i = 0; i < 2000; i++) {
        const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
        expect(entropyBits(secret)).toBeGreaterThan(85);
      }
    });

    test("plain http on a public host, for APP_URL and CRM_URL", () => {
      expect(problemsOf({ ...production, APP_URL: "http://shop.test" })).toEqual([
        "APP_URL must be https:// in production, unless its host is this machine (127.0.0.1, ::1, localhost)",
      ]);
      expect(problemsOf({ ...production, CRM_URL: "http://crm.test/posts/add" })).toEqual([
        "CRM_URL must be https:// in production, unless its host is this machine (127.0.0.1, ::1, localhost)",
      ]);
      expect(
        problemsOf({
          ...production,
          APP_URL: "http://localhost:3000",
          CRM_URL: "http://127.0.0.1:4000/posts/add",
          STRIPE_API_BASE: "http://[::1]:12111",
        }),
      ).toEqual([]);
    });

    test("any URL scheme but http(s), in every mode", () => {
      for (const url of [
        "javascript:alert(1)//",
        "file:///etc/passwd",
        "data:text/html,x",
        "ftp://shop.test",
      ]) {
        expect(problemsOf({ ...production, APP_URL: url })).toEqual([
          "APP_URL must be an http:// or https:// URL",
        ]);
        expect(problemsOf({ ...production, CRM_URL: url })).toEqual([
          "CRM_URL must be an http:// or https:// URL",
        ]);
        expect(problemsOf({ APP_URL: url })).toEqual(["APP_URL must be an http:// or https:// URL"]);
      }
    });

    test("tokens that outlive a day", () => {
      expect(problemsOf({ ...production, JWT_TTL: "3650d" })).toEqual([
        "JWT_TTL must be at most 24h in production: a stolen token must not outlive a day",
      ]);
      expect(problemsOf({ ...production, JWT_TTL: "24h" })).toEqual([]);
      expect(loadConfig({ JWT_TTL: "30d" }).JWT_TTL).toBe(30 * 86_400);
    });

    test("a webhook secret that is not whsec_ followed by a real secret", () => {
      for (const secret of ["whsec_x1", "whsec_short", "0123456789abcdefghijKLMNOPQRstuvwxyz"])
        expect(problemsOf({ ...production, STRIPE_WEBHOOK_SECRET: secret })).toEqual([
          "STRIPE_WEBHOOK_SECRET must be the endpoint's signing secret from the Stripe dashboard: whsec_ and 24 or more letters and digits",
        ]);
    });

    test("the guide's unedited placeholders", () => {
      const problems = problemsOf({
        ...production,
        DATABASE_URL: "mysql://orders:CHANGE-ME@127.0.0.1:3306/orders",
        APP_URL: "https://shop.example.com",
        CRM_URL: "https://crm.example.com/posts/add",
        STRIPE_WEBHOOK_SECRET: "whsec_REPLACE-ME",
      });
      for (const [name, value] of [
        ["DATABASE_URL", "mysql://orders:CHANGE-ME@127.0.0.1:3306/orders"],
        ["APP_URL", "https://shop.example.com"],
        ["CRM_URL", "https://crm.example.com/posts/add"],
        ["STRIPE_WEBHOOK_SECRET", "whsec_REPLACE-ME"],
      ])
        expect(problems).toContain(
          `${name} still holds a placeholder from docs/production.md (${value}); put in your own value`,
        );
      expect(problemsOf({ ...production, APP_URL: "https://myshop.example.com" })).toEqual([]);
    });

    test("no TRUSTED_PROXIES: behind a proxy every client would share one address and its sign-in limits", () => {
      const { TRUSTED_PROXIES: _unset, ...withoutProxies } = production;
      const problems = problemsOf(withoutProxies);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toStartWith("TRUSTED_PROXIES is required in production");
      expect(problems[0]).toContain("or none when clients connect directly");
      expect(problemsOf({ ...withoutProxies, TRUSTED_PROXIES: "none" })).toEqual([]);
    });

    describe("with PAYMENT_PROVIDER=razorpay", () => {
      const { STRIPE_SECRET_KEY: _key, STRIPE_WEBHOOK_SECRET: _secret, ...withoutStripe } = production;
      const razorpay = {
        ...withoutStripe,
        PAYMENT_PROVIDER: "razorpay",
        RAZORPAY_KEY_ID: ["rzp", "live", "abcdefgh"].join("_"),
        RAZORPAY_KEY_SECRET: "a-razorpay-key-secret",
        RAZORPAY_WEBHOOK_SECRET: "a-razorpay-webhook-secret",
      };

      test("its three keys are required, and Stripe's are not", () => {
        expect(problemsOf(razorpay)).toEqual([]);
        const problems = problemsOf({ ...withoutStripe, PAYMENT_PROVIDER: "razorpay" });
        expect(problems.map((problem) => problem.split(" ")[0])).toEqual([
          "RAZORPAY_KEY_ID",
          "RAZORPAY_KEY_SECRET",
          "RAZORPAY_WEBHOOK_SECRET",
        ]);
      });

      test("a test key id, which takes no real money, only when PAYMENTS_TEST_MODE=true says so", () => {
        const testKeys = { ...razorpay, RAZORPAY_KEY_ID: "rzp_test_abcdefgh" };
        expect(problemsOf(testKeys)).toEqual([
          "RAZORPAY_KEY_ID is a test key, which takes no real money: use the live key, or say PAYMENTS_TEST_MODE=true to run the shop in test mode",
        ]);
        expect(problemsOf({ ...testKeys, PAYMENTS_TEST_MODE: "true" })).toEqual([]);
      });

      test("a key id that is not Razorpay's, and an unknown provider", () => {
        expect(problemsOf({ ...razorpay, RAZORPAY_KEY_ID: "key_123" })[0]).toStartWith("RAZORPAY_KEY_ID");
        expect(problemsOf({ ...razorpay, PAYMENT_PROVIDER: "paypal" })[0]).toStartWith("PAYMENT_PROVIDER");
      });
    });
  });

  test("a live Stripe or Razorpay key is refused outside production", () => {
    expect(problemsOf({ STRIPE_SECRET_KEY: FAKE_LIVE_KEY })[0]).toContain("live key");
    expect(problemsOf({ STRIPE_SECRET_KEY: "sk_test_abcdefgh" })).toEqual([]);
    expect(problemsOf({ RAZORPAY_KEY_ID: ["rzp", "live", "abcdefgh"].join("_") })).toEqual([
      "RAZORPAY_KEY_ID is a live key; live keys are accepted only with NODE_ENV=production",
    ]);
    expect(problemsOf({ RAZORPAY_KEY_ID: "rzp_test_abcdefgh" })).toEqual([]);
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
