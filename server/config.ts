import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { mysqlHostUrls } from "../db/database-hosts.ts";
import { isTimeZone } from "./reports/calendar.ts";

/** Development and tests only: production refuses it (it is public, in this repository). */
export const DEV_JWT_SECRET = "development-only-secret-change-me-0123456789";
export const DEFAULT_DATABASE_URL = "file:./data/app.db";
export const DEFAULT_APP_URL = "http://localhost:5173";
export const DEFAULT_CRM_URL = "https://dummyjson.com/posts/add";

const csv = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  );

/** A URL of the web: another scheme (javascript:, file:, data:) would make an origin of "null" or worse. */
const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" });

const integer = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const configSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: integer(3000, 0, 65535),
    HOST: z.string().min(1).default("127.0.0.1"),
    DATABASE_URL: z
      .string()
      .default(DEFAULT_DATABASE_URL)
      .superRefine((value, context) => {
        if (value.startsWith("file:") && value.length > 5) return;
        if (!value.startsWith("mysql://")) {
          context.addIssue({
            code: "custom",
            message: "must be mysql://user:pass@host:port/db or file:PATH",
          });
          return;
        }
        try {
          mysqlHostUrls(value);
        } catch (error) {
          context.addIssue({ code: "custom", message: (error as Error).message });
        }
      }),
    DB_TIMEOUT_MS: integer(5000, 100, 120_000),
    /** How often each instance asks whether the catalog changed: the most its products pages lag behind. */
    CATALOG_CHECK_MS: integer(250, 0, 1000),
    /** How long the token check trusts a user it read: a deleted or demoted user's token works this long at most. */
    AUTH_USER_CACHE_MS: integer(1000, 0, 60_000),
    JWT_SECRET: z.string().optional(),
    JWT_SECRET_PREVIOUS: z.string().optional(),
    JWT_TTL: z
      .string()
      .default("1h")
      .transform((value, ctx) => {
        const seconds = parseDuration(value);
        if (seconds === undefined) {
          ctx.addIssue({ code: "custom", message: "must be a duration like 900, 15m, 1h or 7d" });
          return z.NEVER;
        }
        return seconds;
      }),
    APP_URL: httpUrl.default(DEFAULT_APP_URL),
    CORS_ORIGINS: csv,
    CURRENCY: z
      .string()
      .regex(/^[a-zA-Z]{3}$/, "must be a three-letter ISO 4217 code")
      .default("usd")
      .transform((value) => value.toLowerCase()),
    REPORT_TIMEZONE: z
      .string()
      .default("UTC")
      .refine(isTimeZone, "must be an IANA time zone such as Europe/Berlin or UTC"),
    /** The proxies whose X-Forwarded-For is believed; "none" says there is no proxy (production asks which). */
    TRUSTED_PROXIES: csv.transform((items) => items.filter((item) => item.toLowerCase() !== "none")),
    BODY_LIMIT_BYTES: integer(64 * 1024, 1024, 10 * 1024 * 1024),
    /** Where product pictures are written (server/products/pictures.ts), and nginx serves them from. */
    MEDIA_DIR: z.string().min(1).default("./data/media"),
    LOGIN_MAX_FAILURES: integer(5, 1, 1000),
    LOGIN_WINDOW_SECONDS: integer(15 * 60, 1, 24 * 3600),
    LOGIN_IP_MAX_FAILURES: integer(20, 1, 100_000),
    LOGIN_ACCOUNT_MAX_FAILURES: integer(100, 1, 100_000),
    LOGIN_ACCOUNT_WINDOW_SECONDS: integer(3600, 1, 7 * 24 * 3600),
    REGISTER_MAX_PER_IP: integer(10, 1, 100_000),
    REGISTER_WINDOW_SECONDS: integer(3600, 1, 7 * 24 * 3600),
    /** The sign-in and registration limits count an IPv6 client by its network of this many bits. */
    LIMITS_IPV6_PREFIX: integer(64, 16, 128),
    ADMIN_SESSION_IDLE_MINUTES: integer(30, 1, 24 * 60),
    ADMIN_SESSION_MAX_HOURS: integer(8, 1, 7 * 24),
    LOG_LEVEL: z.enum(["silent", "info"]).default("info"),
    METRICS_TOKEN: z.string().min(32, "must be at least 32 characters").optional(),
    STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_(test|live)_\w+$/, "must be a Stripe secret key (sk_test_...)")
      .optional(),
    STRIPE_WEBHOOK_SECRET: z.string().min(8).optional(),
    STRIPE_API_BASE: httpUrl.optional(),
    STRIPE_TIMEOUT_MS: integer(10_000, 100, 120_000),
    CHECKOUT_SESSION_TTL_MINUTES: integer(60, 30, 24 * 60),
    /** Who takes new payments; payments already taken are refunded through whoever took them. */
    PAYMENT_PROVIDER: z.enum(["stripe", "razorpay"]).default("stripe"),
    RAZORPAY_KEY_ID: z
      .string()
      .regex(/^rzp_(test|live)_\w+$/, "must be a Razorpay key id (rzp_test_... or rzp_live_...)")
      .optional(),
    RAZORPAY_KEY_SECRET: z.string().min(8).optional(),
    RAZORPAY_WEBHOOK_SECRET: z.string().min(8).optional(),
    RAZORPAY_API_BASE: httpUrl.optional(),
    RAZORPAY_TIMEOUT_MS: integer(10_000, 100, 120_000),
    /** Production with Razorpay's test keys says so with true: a shop that takes no real money. */
    PAYMENTS_TEST_MODE: z.enum(["true", "false"]).default("false"),
    CRM_URL: httpUrl.default(DEFAULT_CRM_URL),
    CRM_TIMEOUT_MS: integer(5000, 100, 120_000),
    CRM_WAIT_MS: integer(3000, 0, 60_000),
    CRM_MAX_ATTEMPTS: integer(8, 1, 100),
    CRM_USER_ID: integer(1, 1, 1_000_000),
    CRM_RETRY_BASE_MS: integer(5000, 10, 3_600_000),
    CRM_RETRY_MAX_MS: integer(3_600_000, 10, 24 * 3_600_000),
    CRM_POLL_INTERVAL_MS: integer(10_000, 50, 3_600_000),
    CRM_WORKER: z.enum(["on", "off"]).default("on"),
    /** Set by `bun run dev` when it runs the local CRM stand-in, so the site can say so. */
    CRM_SIMULATED: z.enum(["true", "false"]).default("false"),
    /**
     * Server processes `bun run start` (and the Node bundle) runs on one port (server/runtime/workers.ts):
     * by default every core in production, one elsewhere.
     */
    WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  })
  .transform((env) => ({
    ...env,
    JWT_SECRET: env.JWT_SECRET ?? DEV_JWT_SECRET,
    WORKERS: env.WORKERS ?? (env.NODE_ENV === "production" ? availableParallelism() : 1),
  }));

export type Config = z.infer<typeof configSchema>;

/** Rules across variables, checked on the raw values so they are reported together with every other problem. */
function crossVariableProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (env.NODE_ENV === "production") {
    const required: [string, string][] = [
      ["DATABASE_URL", "mysql://user:pass@host:3306/db, or file:PATH for SQLite"],
      ["APP_URL", "the public https URL of the site; Stripe sends customers back to it"],
      [
        "CRM_URL",
        `where paid orders are posted; to use the public test CRM say so: CRM_URL=${DEFAULT_CRM_URL}`,
      ],
      ...(env.PAYMENT_PROVIDER === "razorpay" ? RAZORPAY_REQUIRED : STRIPE_REQUIRED),
    ];
    for (const [name, hint] of required) {
      if (!env[name]) problems.push(`${name} is required in production (${hint})`);
    }
    problems.push(...productionProblems(env));
  } else {
    if (env.JWT_SECRET !== undefined && env.JWT_SECRET.length < 16) {
      problems.push("JWT_SECRET must be at least 16 characters");
    }
    if (env.STRIPE_SECRET_KEY?.includes("_live_")) {
      problems.push("STRIPE_SECRET_KEY is a live key; live keys are accepted only with NODE_ENV=production");
    }
    if (env.RAZORPAY_KEY_ID?.startsWith("rzp_live_")) {
      problems.push("RAZORPAY_KEY_ID is a live key; live keys are accepted only with NODE_ENV=production");
    }
  }
  return problems;
}

const STRIPE_REQUIRED: [string, string][] = [
  ["STRIPE_SECRET_KEY", "sk_live_... or sk_test_... from the Stripe dashboard"],
  ["STRIPE_WEBHOOK_SECRET", "whsec_... of the webhook endpoint registered in the Stripe dashboard"],
];

const RAZORPAY_REQUIRED: [string, string][] = [
  ["RAZORPAY_KEY_ID", "rzp_live_... from the Razorpay dashboard, Account & Settings > API Keys"],
  ["RAZORPAY_KEY_SECRET", "the secret shown once with the key id"],
  [
    "RAZORPAY_WEBHOOK_SECRET",
    "the secret you gave the webhook in the Razorpay dashboard, Settings > Webhooks",
  ],
];

/** The longest a token may live in production: a stolen one must not outlive a day. */
const MAX_PRODUCTION_JWT_TTL_SECONDS = 24 * 3600;
/** What docs/production.md writes where the operator must put a value of their own. */
const GUIDE_PLACEHOLDERS = /REPLACE-ME|CHANGE-ME|[/.@](shop|crm)\.example\.com([:/]|$)/;

/** Every rule production adds beyond "required": each problem one line that names its setting. */
function productionProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(configSchema.in.shape)) {
    const value = env[name];
    if (value !== undefined && GUIDE_PLACEHOLDERS.test(value))
      problems.push(
        `${name} still holds a placeholder from docs/production.md (${value}); put in your own value`,
      );
  }
  problems.push(...secretProblems("JWT_SECRET", env.JWT_SECRET, true));
  if (env.JWT_SECRET_PREVIOUS !== undefined)
    problems.push(...secretProblems("JWT_SECRET_PREVIOUS", env.JWT_SECRET_PREVIOUS, true));
  if (env.METRICS_TOKEN !== undefined)
    problems.push(...secretProblems("METRICS_TOKEN", env.METRICS_TOKEN, false));
  for (const name of ["APP_URL", "CRM_URL"])
    if (env[name] && isPlainHttpOnPublicHost(env[name]))
      problems.push(
        `${name} must be https:// in production, unless its host is this machine (127.0.0.1, ::1, localhost)`,
      );
  const ttl = env.JWT_TTL === undefined ? undefined : parseDuration(env.JWT_TTL);
  if (ttl !== undefined && ttl > MAX_PRODUCTION_JWT_TTL_SECONDS)
    problems.push("JWT_TTL must be at most 24h in production: a stolen token must not outlive a day");
  if (env.STRIPE_WEBHOOK_SECRET && !/^whsec_[\w+/=-]{24,}$/.test(env.STRIPE_WEBHOOK_SECRET))
    problems.push(
      "STRIPE_WEBHOOK_SECRET must be the endpoint's signing secret from the Stripe dashboard: whsec_ and 24 or more letters and digits",
    );
  if (
    env.PAYMENT_PROVIDER === "razorpay" &&
    env.RAZORPAY_KEY_ID?.startsWith("rzp_test_") &&
    env.PAYMENTS_TEST_MODE !== "true"
  )
    problems.push(
      "RAZORPAY_KEY_ID is a test key, which takes no real money: use the live key, or say PAYMENTS_TEST_MODE=true to run the shop in test mode",
    );
  if (!env.MEDIA_DIR?.startsWith("/"))
    problems.push(
      "MEDIA_DIR must be an absolute folder in production, such as /var/lib/orders/media (the one nginx serves /media/products/ from)",
    );
  if (!env.TRUSTED_PROXIES)
    problems.push(
      "TRUSTED_PROXIES is required in production: the proxies in front of the app (127.0.0.1,::1 for nginx on this host, as the shipped units set), or none when clients connect directly; without it every client behind a proxy shares one address and its sign-in limits",
    );
  return problems;
}

/**
 * What a secret's characters say about its strength, in bits: a random 32-character hex secret (128 real bits)
 * measured 91 to 116 over 10,000 tries, a run of one letter or a short word repeated far less.
 */
const MIN_SECRET_BITS = 85;

/** A production secret must be private and hard to guess: not the committed one, long, and not repetitive. */
function secretProblems(name: string, secret: string | undefined, required: boolean): string[] {
  if (!secret) return required ? [`${name} is required in production (e.g. openssl rand -hex 32)`] : [];
  if (secret === DEV_JWT_SECRET)
    return [`${name} is the public development secret; set a secret of your own`];
  if (secret.length < 32) return [`${name} must be at least 32 characters in production`];
  if (entropyBits(secret) < MIN_SECRET_BITS)
    return [
      `${name} is too easy to guess (too few different characters, or a part repeated); use openssl rand -hex 32`,
    ];
  return [];
}

/**
 * The Shannon entropy of the text's characters times its length, counted over one repetition of a text that
 * repeats itself ("password1password1pass" counts as "password1"): "aaaa..." has 0 bits.
 */
export function entropyBits(text: string): number {
  const unit = [...text].slice(0, shortestPeriod(text));
  const counts = new Map<string, number>();
  for (const character of unit) counts.set(character, (counts.get(character) ?? 0) + 1);
  let perCharacter = 0;
  for (const count of counts.values()) {
    const share = count / unit.length;
    perCharacter -= share * Math.log2(share);
  }
  return perCharacter * unit.length;
}

/** The smallest p with text[i] === text[i + p] throughout (the text's own length when it does not repeat). */
function shortestPeriod(text: string): number {
  const characters = [...text];
  for (let period = 1; period < characters.length; period++) {
    if (
      characters.every(
        (character, i) => i + period >= characters.length || character === characters[i + period],
      )
    )
      return period;
  }
  return characters.length;
}

function isPlainHttpOnPublicHost(value: string): boolean {
  const url = URL.parse(value);
  return url?.protocol === "http:" && !/^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(url.hostname);
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads the whole configuration at once so that one message names every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = configSchema.safeParse(present);
  const problems = [
    ...(result.error?.issues ?? []).map(
      (issue) => `${issue.path.join(".") || "environment"} ${issue.message}`,
    ),
    ...crossVariableProblems(present),
  ];
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** For entry points: print every configuration problem at once and exit non-zero. */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

/** Tests write pictures into a folder of the test run's own, never into the checkout's data/. */
const TEST_MEDIA_DIR = join(tmpdir(), `shop-test-media-${process.pid}`);

/**
 * Test and tool configuration: the defaults, plus what the caller overrides. Every test signs up from the same
 * few addresses into databases that keep their counters between runs, so the per-IP limits are lifted here;
 * the tests of those limits set them and use addresses of their own.
 */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    MEDIA_DIR: TEST_MEDIA_DIR,
    ...TEST_LIMITS,
    ...overrides,
  });
}

export const TEST_LIMITS = { REGISTER_MAX_PER_IP: "100000", LOGIN_IP_MAX_FAILURES: "100000" };

export function parseDuration(value: string): number | undefined {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(value.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? "s") as "s" | "m" | "h" | "d"];
  const seconds = amount * unit;
  return seconds > 0 ? seconds : undefined;
}
