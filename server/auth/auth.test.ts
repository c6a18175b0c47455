import { describe, expect, test } from "bun:test";
import { sign } from "hono/jwt";
import {
  registerCustomer,
  request,
  storeTargets,
  testAddress,
  uniqueEmail,
  useApp,
} from "../../tests/support.ts";
import { ensureAdmin } from "../admin/admins.ts";
import { bunPasswordHasher } from "../runtime/passwords.ts";
import { issueToken } from "./tokens.ts";

const PASSWORD = "correct horse battery";

/** The known-device cookie a successful sign-in sets, as a Cookie header sends it. */
const knownDeviceOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .find((line) => line.startsWith("known_device_"))
    ?.split(";")[0] as string;

for (const target of storeTargets()) {
  target.describe(`auth on ${target.name}`, () => {
    const stack = useApp(target, { LOGIN_MAX_FAILURES: "3" });
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      request(stack.app, "POST", `/api/v1/auth/${path}`, { body, headers });

    describe("register", () => {
      test("creates a customer and answers 201 with the user and a working token", async () => {
        const email = uniqueEmail("Ada");
        const response = await post("register/", { email, password: PASSWORD, name: "Ada" });
        expect(response.status).toBe(201);
        const body = await response.json();
        expect(body.user).toEqual({ id: expect.any(Number), email: email.toLowerCase(), name: "Ada" });
        const orders = await request(stack.app, "GET", "/api/v1/orders/", { token: body.token });
        expect(orders.status).toBe(200);
        expect((await stack.store.findUserById(body.user.id))?.role).toBe("customer");
      });

      test("stores an argon2id hash, never the password", async () => {
        const email = uniqueEmail();
        await post("register", { email, password: PASSWORD });
        const user = await stack.store.findUserByEmail(email);
        expect(user?.passwordHash).toStartWith("$argon2id$");
        expect(user?.passwordHash).not.toContain(PASSWORD);
      });

      test("a taken email is a 409, whatever its case", async () => {
        const email = uniqueEmail();
        expect((await post("register", { email, password: PASSWORD })).status).toBe(201);
        const again = await post("register", { email: email.toUpperCase(), password: PASSWORD });
        expect(again.status).toBe(409);
        expect((await again.json()).errors).toEqual({ email: ["is already registered"] });
      });

      const invalid: [string, unknown, string][] = [
        ["a bad email", { email: "not-an-email", password: PASSWORD }, "email"],
        ["a password under 8 characters", { email: uniqueEmail(), password: "short" }, "password"],
        ["a missing email", { password: PASSWORD }, "email"],
        ["a missing password", { email: uniqueEmail() }, "password"],
        ["a non-string name", { email: uniqueEmail(), password: PASSWORD, name: 42 }, "name"],
      ];
      for (const [name, body, field] of invalid) {
        test(`${name} is a 400 problem naming the field`, async () => {
          const response = await post("register", body);
          expect(response.status).toBe(400);
          expect(response.headers.get("content-type")).toBe("application/problem+json");
          const problem = await response.json();
          expect(problem).toMatchObject({ status: 400, title: "Bad Request" });
          expect(Object.keys(problem.errors)).toContain(field);
        });
      }

      test("malformed JSON is a 400 problem", async () => {
        const response = await post("register", "{not json");
        expect(response.status).toBe(400);
        expect((await response.json()).detail).toBe("The request body is not valid JSON.");
      });

      test("a body that is not JSON is a 415 problem", async () => {
        const response = await post("register", "email=a@b.c", {
          "Content-Type": "application/x-www-form-urlencoded",
        });
        expect(response.status).toBe(415);
        expect(response.headers.get("content-type")).toBe("application/problem+json");
      });

      test("an oversized body is a 413 problem", async () => {
        const response = await post("register", { email: uniqueEmail(), password: "x".repeat(70_000) });
        expect(response.status).toBe(413);
        expect(response.headers.get("content-type")).toBe("application/problem+json");
      });
    });

    describe("login", () => {
      test("answers 200 with the user and a token for the right password, in any email case", async () => {
        const customer = await registerCustomer(stack.app);
        const response = await post("login/", { email: customer.email.toUpperCase(), password: PASSWORD });
        expect(response.status).toBe(200);
        const body = await response.json();
        expect(body.user).toMatchObject({ id: customer.userId, email: customer.email });
        expect(body.token.split(".")).toHaveLength(3);
      });

      test("an unknown email and a wrong password get the same 401", async () => {
        const customer = await registerCustomer(stack.app);
        const wrong = await post(
          "login",
          { email: customer.email, password: "wrong password" },
          { "X-Test-Peer": "10.0.0.1" },
        );
        const unknown = await post(
          "login",
          { email: uniqueEmail(), password: PASSWORD },
          { "X-Test-Peer": "10.0.0.2" },
        );
        expect(wrong.status).toBe(401);
        expect(unknown.status).toBe(401);
        const [a, b] = [await wrong.json(), await unknown.json()];
        expect(a.detail).toBe(b.detail);
        expect(a.type).toBe(b.type);
      });

      test("a missing password is a 400", async () => {
        expect((await post("login", { email: uniqueEmail() })).status).toBe(400);
      });
    });

    describe("tokens on protected routes", () => {
      const protectedGet = (token: string) => request(stack.app, "GET", "/api/v1/orders/", { token });
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const now = () => Math.floor(Date.now() / 1000);

      test("no token is a 401 problem with WWW-Authenticate", async () => {
        const response = await request(stack.app, "GET", "/api/v1/orders/");
        expect(response.status).toBe(401);
        expect(response.headers.get("WWW-Authenticate")).toContain("Bearer");
        expect(response.headers.get("content-type")).toBe("application/problem+json");
      });

      test("expired, tampered, alg none, HS512, wrong-secret, exp-less and garbage tokens are 401", async () => {
        const customer = await registerCustomer(stack.app);
        const secret = stack.config.JWT_SECRET;
        const sub = String(customer.userId);
        const [header, payload, signature] = customer.token.split(".");
        const claims = JSON.parse(Buffer.from(payload as string, "base64url").toString());
        const bad = {
          expired: await issueToken(
            stack.config,
            { id: customer.userId, role: "customer", tokenVersion: 0 },
            Date.now() - 2 * 3600_000,
          ),
          tampered: `${header}.${encode({ ...claims, sub: "1" })}.${signature}`,
          algNone: `${encode({ alg: "none", typ: "JWT" })}.${encode({ sub, exp: now() + 600 })}.`,
          hs512: await sign({ sub, exp: now() + 600 }, secret, "HS512"),
          wrongSecret: await sign({ sub, exp: now() + 600 }, "another-secret-another-secret-123", "HS256"),
          noExp: await sign({ sub }, secret, "HS256"),
          notYetValid: await sign({ sub, exp: now() + 600, nbf: now() + 300 }, secret, "HS256"),
          garbage: "garbage",
        };
        for (const [name, token] of Object.entries(bad)) {
          const response = await protectedGet(token);
          expect({ name, status: response.status }).toEqual({ name, status: 401 });
        }
        expect((await protectedGet(customer.token)).status).toBe(200);
      });

      test("a deleted user's token is a 401, within AUTH_USER_CACHE_MS of the deletion", async () => {
        const customer = await registerCustomer(stack.app);
        expect((await protectedGet(customer.token)).status).toBe(200);
        expect(await stack.store.deleteUser(customer.userId)).toBe(true);
        const deleted = Date.now();
        while ((await protectedGet(customer.token)).status === 200) await Bun.sleep(20);
        expect(Date.now() - deleted).toBeLessThanOrEqual(stack.config.AUTH_USER_CACHE_MS + 100);
        expect((await protectedGet(customer.token)).status).toBe(401);
        // Never seen before its deletion: refused at once.
        const other = await registerCustomer(stack.app);
        expect(await stack.store.deleteUser(other.userId)).toBe(true);
        expect((await protectedGet(other.token)).status).toBe(401);
      });

      test("a password reset by admin:create ends the admin's API tokens within AUTH_USER_CACHE_MS", async () => {
        const credentials = { email: uniqueEmail("reset-admin"), password: PASSWORD };
        await ensureAdmin(stack.store, bunPasswordHasher, credentials);
        const { token } = await (
          await request(stack.app, "POST", "/api/v1/auth/login", { body: credentials })
        ).json();
        const summary = (bearer: string) =>
          request(stack.app, "GET", "/api/v1/reports/summary", { token: bearer });
        expect((await summary(token)).status).toBe(200);
        await ensureAdmin(stack.store, bunPasswordHasher, { ...credentials, password: "a new password 2" });
        const reset = Date.now();
        while ((await summary(token)).status === 200) await Bun.sleep(20);
        expect(Date.now() - reset).toBeLessThanOrEqual(stack.config.AUTH_USER_CACHE_MS + 100);
        expect((await summary(token)).status).toBe(401);
      });
    });

    describe("changing the password", () => {
      const change = (token: string, body: unknown) =>
        request(stack.app, "POST", "/api/v1/auth/password", { token, body });
      const ordersWith = (token: string) => request(stack.app, "GET", "/api/v1/orders/", { token });

      test("ends every token issued before (within AUTH_USER_CACHE_MS); the answer's new token and the new password work", async () => {
        const customer = await registerCustomer(stack.app);
        const other = await (
          await request(stack.app, "POST", "/api/v1/auth/login", {
            body: { email: customer.email, password: PASSWORD },
          })
        ).json();
        expect((await ordersWith(other.token)).status).toBe(200);
        const changed = await change(customer.token, {
          currentPassword: PASSWORD,
          newPassword: "a brand new password",
        });
        expect(changed.status).toBe(200);
        const session = await changed.json();
        expect(session.user.email).toBe(customer.email);
        // At once, though this instance read the user (at its old version) a moment ago.
        expect((await ordersWith(session.token)).status).toBe(200);
        await Bun.sleep(stack.config.AUTH_USER_CACHE_MS + 50);
        expect((await ordersWith(other.token)).status).toBe(401);
        expect((await ordersWith(customer.token)).status).toBe(401);
        expect((await ordersWith(session.token)).status).toBe(200);
        const signIn = (password: string) =>
          request(stack.app, "POST", "/api/v1/auth/login", { body: { email: customer.email, password } });
        expect((await signIn(PASSWORD)).status).toBe(401);
        expect((await signIn("a brand new password")).status).toBe(200);
      });

      test("a wrong current password is a 400 naming the field, and changes nothing", async () => {
        const customer = await registerCustomer(stack.app);
        const refused = await change(customer.token, {
          currentPassword: "not my password",
          newPassword: "a brand new password",
        });
        expect(refused.status).toBe(400);
        expect((await refused.json()).errors).toEqual({
          currentPassword: ["is not the password of this account"],
        });
        expect((await ordersWith(customer.token)).status).toBe(200);
      });

      test("needs a token, and a new password of at least 8 characters", async () => {
        const customer = await registerCustomer(stack.app);
        const anonymous = await request(stack.app, "POST", "/api/v1/auth/password", {
          body: { currentPassword: PASSWORD, newPassword: "a brand new password" },
        });
        expect(anonymous.status).toBe(401);
        const short = await change(customer.token, { currentPassword: PASSWORD, newPassword: "short" });
        expect(short.status).toBe(400);
        expect((await short.json()).errors).toEqual({ newPassword: ["must be at least 8 characters"] });
      });
    });
  });
}

for (const target of storeTargets()) {
  target.describe(`sign-in and registration limits on ${target.name}`, () => {
    const stack = useApp(target, {
      LOGIN_MAX_FAILURES: "3",
      LOGIN_IP_MAX_FAILURES: "5",
      LOGIN_ACCOUNT_MAX_FAILURES: "6",
      REGISTER_MAX_PER_IP: "3",
    });
    const signIn = (email: string, password: string, address: string, app = stack.app) =>
      request(app, "POST", "/api/v1/auth/login", {
        body: { email, password },
        headers: { "X-Test-Peer": address },
      });
    const newCustomer = () => registerCustomer(stack.app, "limits", { "X-Test-Peer": testAddress() });

    test("failures on one account from one address lock that address out of it, the right password too, with Retry-After; the owner elsewhere gets in", async () => {
      const customer = await newCustomer();
      const attacker = testAddress();
      for (let attempt = 0; attempt < 3; attempt++) {
        expect((await signIn(customer.email, "wrong password", attacker)).status).toBe(401);
      }
      const limited = await signIn(customer.email, PASSWORD, attacker);
      expect(limited.status).toBe(429);
      expect(limited.headers.get("content-type")).toBe("application/problem+json");
      const retryAfter = Number(limited.headers.get("Retry-After"));
      expect(retryAfter).toBeGreaterThan(890);
      expect(retryAfter).toBeLessThanOrEqual(900);
      expect((await signIn(customer.email, PASSWORD, testAddress())).status).toBe(200);
    });

    test("failures from one address across many accounts lock the address out of every account", async () => {
      const customer = await newCustomer();
      const attacker = testAddress();
      for (let attempt = 0; attempt < 5; attempt++) {
        expect((await signIn(uniqueEmail("guess"), "wrong password", attacker)).status).toBe(401);
      }
      expect((await signIn(customer.email, PASSWORD, attacker)).status).toBe(429);
      expect((await signIn(customer.email, PASSWORD, testAddress())).status).toBe(200);
    });

    test("failures on one account from many addresses stop at the account's ceiling", async () => {
      const customer = await newCustomer();
      for (let attempt = 0; attempt < 6; attempt++) {
        expect((await signIn(customer.email, "wrong password", testAddress())).status).toBe(401);
      }
      expect((await signIn(customer.email, PASSWORD, testAddress())).status).toBe(429);
    });

    test("strangers who exhaust the account's ceiling from many addresses cannot lock out the owner's own browser", async () => {
      const customer = await newCustomer();
      const home = testAddress();
      const first = await signIn(customer.email, PASSWORD, home);
      expect(first.status).toBe(200);
      const knownDevice = knownDeviceOf(first);
      expect(knownDevice).toBeString();
      expect(first.headers.getSetCookie().join()).toContain("HttpOnly");
      for (let attempt = 0; attempt < 6; attempt++) {
        expect((await signIn(customer.email, "wrong password", testAddress())).status).toBe(401);
      }
      const fromCafe = testAddress();
      const withCookie = (cookie: string) =>
        request(stack.app, "POST", "/api/v1/auth/login", {
          body: { email: customer.email, password: PASSWORD },
          headers: { "X-Test-Peer": fromCafe, Cookie: cookie },
        });
      expect((await signIn(customer.email, PASSWORD, fromCafe)).status).toBe(429);
      expect((await withCookie(knownDevice)).status).toBe(200);

      // Another account's cookie, a forged one, or one renamed to this account's name: strangers again.
      const other = await newCustomer();
      const otherCookie = knownDeviceOf(await signIn(other.email, PASSWORD, testAddress()));
      const [name] = knownDevice.split("=") as [string];
      const forged = `${name}=${Math.floor(Date.now() / 1000)}.${"0".repeat(64)}`;
      const renamed = `${name}=${otherCookie.split("=")[1]}`;
      for (const cookie of [otherCookie, forged, renamed])
        expect((await withCookie(cookie)).status).toBe(429);
    });

    test("the owner's known browser can still change the password while strangers hold the account's ceiling", async () => {
      const customer = await newCustomer();
      const first = await signIn(customer.email, PASSWORD, testAddress());
      const { token } = await first.json();
      for (let attempt = 0; attempt < 6; attempt++)
        expect((await signIn(customer.email, "wrong password", testAddress())).status).toBe(401);
      const change = (cookie: string) =>
        request(stack.app, "POST", "/api/v1/auth/password", {
          token,
          body: { currentPassword: PASSWORD, newPassword: "a brand new password" },
          headers: { "X-Test-Peer": testAddress(), ...(cookie ? { Cookie: cookie } : {}) },
        });
      expect((await change("")).status).toBe(429);
      expect((await change(knownDeviceOf(first))).status).toBe(200);
    });

    test("the same holds for the admin's sign-in page", async () => {
      const credentials = { email: uniqueEmail("known-admin"), password: PASSWORD };
      await ensureAdmin(stack.store, bunPasswordHasher, credentials);
      const adminSignIn = (password: string, address: string, cookie = "") =>
        stack.app.request("/admin/login", {
          method: "POST",
          headers: {
            "Content-Type": "application/x-www-form-urlencoded",
            Origin: "http://localhost",
            "X-Test-Peer": address,
            ...(cookie ? { Cookie: cookie } : {}),
          },
          body: new URLSearchParams({ email: credentials.email, password }).toString(),
        });
      const first = await adminSignIn(PASSWORD, testAddress());
      expect(first.status).toBe(303);
      const knownDevice = knownDeviceOf(first);
      for (let attempt = 0; attempt < 6; attempt++)
        expect((await adminSignIn("wrong password", testAddress())).status).toBe(401);
      expect((await adminSignIn(PASSWORD, testAddress())).status).toBe(429);
      expect((await adminSignIn(PASSWORD, testAddress(), knownDevice)).status).toBe(303);
    });

    test("a known browser still meets the per-address limits: wrong passwords from it are counted", async () => {
      const customer = await newCustomer();
      const address = testAddress();
      const first = await signIn(customer.email, PASSWORD, address);
      const knownDevice = knownDeviceOf(first);
      const guess = (password: string) =>
        request(stack.app, "POST", "/api/v1/auth/login", {
          body: { email: customer.email, password },
          headers: { "X-Test-Peer": address, Cookie: knownDevice },
        });
      for (let attempt = 0; attempt < 3; attempt++) expect((await guess("wrong password")).status).toBe(401);
      expect((await guess(PASSWORD)).status).toBe(429);
    });

    test("signing in clears the account's failures from that address, so an owner who mistypes now and then is not locked out", async () => {
      const customer = await newCustomer();
      const address = testAddress();
      // Four failures in all from one address, over the limit of three, but never three in a row.
      for (let round = 0; round < 2; round++) {
        expect((await signIn(customer.email, "wrong password", address)).status).toBe(401);
        expect((await signIn(customer.email, "wrong password", address)).status).toBe(401);
        expect((await signIn(customer.email, PASSWORD, address)).status).toBe(200);
      }
    });

    test("registrations from one address are limited", async () => {
      const address = testAddress();
      const register = () =>
        request(stack.app, "POST", "/api/v1/auth/register", {
          body: { email: uniqueEmail("flood"), password: PASSWORD },
          headers: { "X-Test-Peer": address },
        });
      for (let attempt = 0; attempt < 3; attempt++) expect((await register()).status).toBe(201);
      const limited = await register();
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(3500);
      expect(
        (await registerCustomer(stack.app, "elsewhere", { "X-Test-Peer": testAddress() })).token,
      ).toBeString();
    });
  });

  target.describe(`limits count an IPv6 client by its /64 on ${target.name}`, () => {
    const stack = useApp(target, { LOGIN_MAX_FAILURES: "3", REGISTER_MAX_PER_IP: "3" });
    /** Addresses 1..count of one fresh /64, as a client with a whole /64 would pick them. */
    const addressesOfOneNetwork = (count: number) => {
      const network = testAddress().replace(/::1$/, "");
      return Array.from({ length: count }, (_, i) => `${network}::${(i + 1).toString(16)}`);
    };

    test("registrations from fresh addresses of one /64 stop at the per-client limit", async () => {
      const statuses: number[] = [];
      for (const address of addressesOfOneNetwork(6)) {
        const response = await request(stack.app, "POST", "/api/v1/auth/register", {
          body: { email: uniqueEmail("v6-flood"), password: PASSWORD },
          headers: { "X-Test-Peer": address },
        });
        statuses.push(response.status);
      }
      expect(statuses).toEqual([201, 201, 201, 429, 429, 429]);
    });

    test("wrong passwords spread over the addresses of one /64 are counted together", async () => {
      const customer = await registerCustomer(stack.app, "v6", { "X-Test-Peer": testAddress() });
      const [first, second, third, fourth] = addressesOfOneNetwork(4) as [string, string, string, string];
      for (const address of [first, second, third]) {
        const response = await request(stack.app, "POST", "/api/v1/auth/login", {
          body: { email: customer.email, password: "wrong password" },
          headers: { "X-Test-Peer": address },
        });
        expect(response.status).toBe(401);
      }
      const next = await request(stack.app, "POST", "/api/v1/auth/login", {
        body: { email: customer.email, password: "wrong password" },
        headers: { "X-Test-Peer": fourth },
      });
      expect(next.status).toBe(429);
    });
  });

  target.describe(`growing lockouts on ${target.name}`, () => {
    const stack = useApp(target, { LOGIN_MAX_FAILURES: "2", LOGIN_WINDOW_SECONDS: "1" });

    test("an address that comes back after its lockout and fails again waits twice as long", async () => {
      const email = uniqueEmail("locked");
      const address = testAddress();
      const signIn = () =>
        request(stack.app, "POST", "/api/v1/auth/login", {
          body: { email, password: "wrong password" },
          headers: { "X-Test-Peer": address },
        });
      expect((await signIn()).status).toBe(401);
      expect((await signIn()).status).toBe(401);
      const first = await signIn();
      expect(first.status).toBe(429);
      expect(first.headers.get("Retry-After")).toBe("1");
      await Bun.sleep(1100);
      expect((await signIn()).status).toBe(401);
      expect((await signIn()).status).toBe(401);
      const second = await signIn();
      expect(second.status).toBe(429);
      expect(second.headers.get("Retry-After")).toBe("2");
    });
  });
}
