import { describe, expect, test } from "bun:test";
import { testConfig } from "../config.ts";
import { issueToken, readToken } from "./tokens.ts";

const OLD = "the-old-secret-0123456789abcdefghij";
const NEW = "the-new-secret-zyxwvutsrq9876543210";
const user = { id: 42, role: "customer", tokenVersion: 0 };

describe("rotating JWT_SECRET with JWT_SECRET_PREVIOUS", () => {
  test("tokens signed with either secret verify; new ones are signed with JWT_SECRET alone", async () => {
    const before = testConfig({ JWT_SECRET: OLD });
    const rotated = testConfig({ JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD });
    const issuedBefore = await issueToken(before, user);
    expect(await readToken(rotated, issuedBefore)).toMatchObject({ userId: 42, role: "customer" });
    const issuedAfter = await issueToken(rotated, user);
    expect(await readToken(testConfig({ JWT_SECRET: NEW }), issuedAfter)).toMatchObject({
      userId: 42,
      role: "customer",
    });
    expect(await readToken(before, issuedAfter)).toBeUndefined();
    expect(await readToken(testConfig({ JWT_SECRET: NEW }), issuedBefore)).toBeUndefined();
    const expired = await issueToken(before, user, Date.now() - 2 * 3600_000);
    expect(await readToken(rotated, expired)).toBeUndefined();
  });

  test("the two-step rolling restart of docs/production.md keeps every token valid on every instance at every step", async () => {
    // Two instances restarted one at a time; a customer's requests go to either.
    const steps: { name: string; configs: Record<string, string>[] }[] = [
      { name: "before", configs: [{ JWT_SECRET: OLD }, { JWT_SECRET: OLD }] },
      {
        name: "step 1, one instance",
        configs: [{ JWT_SECRET: OLD, JWT_SECRET_PREVIOUS: NEW }, { JWT_SECRET: OLD }],
      },
      {
        name: "step 1 done",
        configs: [
          { JWT_SECRET: OLD, JWT_SECRET_PREVIOUS: NEW },
          { JWT_SECRET: OLD, JWT_SECRET_PREVIOUS: NEW },
        ],
      },
      {
        name: "step 2, one instance",
        configs: [
          { JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD },
          { JWT_SECRET: OLD, JWT_SECRET_PREVIOUS: NEW },
        ],
      },
      {
        name: "step 2 done",
        configs: [
          { JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD },
          { JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD },
        ],
      },
    ];
    const tokens: string[] = [];
    for (const step of steps) {
      const configs = step.configs.map((env) => testConfig(env));
      for (const config of configs) tokens.push(await issueToken(config, user));
      // Every token issued so far, by any instance at any step, works on both instances now.
      for (const config of configs) {
        for (const token of tokens) {
          expect({ step: step.name, valid: (await readToken(config, token)) !== undefined }).toEqual({
            step: step.name,
            valid: true,
          });
        }
      }
    }
    // Straight to the new secret on one instance at a time: they disagree until both are restarted.
    const [straight, notYet] = [
      testConfig({ JWT_SECRET: NEW, JWT_SECRET_PREVIOUS: OLD }),
      testConfig({ JWT_SECRET: OLD }),
    ];
    expect(await readToken(notYet, await issueToken(straight, user))).toBeUndefined();
  });

  test("production holds the previous secret to the same rules", () => {
    expect(() =>
      testConfig({
        NODE_ENV: "production",
        DATABASE_URL: "mysql://u:p@127.0.0.1:3306/db",
        APP_URL: "https://shop.test",
        CRM_URL: "https://crm.test/posts/add",
        STRIPE_SECRET_KEY: "sk_test_abcdefgh",
        STRIPE_WEBHOOK_SECRET: "whsec_0123456789abcdefghijKLMNOPQRstuv",
        TRUSTED_PROXIES: "none",
        JWT_SECRET: NEW,
        JWT_SECRET_PREVIOUS: "short",
      }),
    ).toThrow("JWT_SECRET_PREVIOUS must be at least 32 characters in production");
  });
});
