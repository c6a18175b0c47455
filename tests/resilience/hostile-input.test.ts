import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { sign } from "hono/jwt";
import { bunPasswordHasher } from "../../server/runtime/passwords.ts";
import { customerWithOrder, registerCustomer, storeTargets, useApp } from "../../server/test-support.ts";

interface Operation {
  method: string;
  path: string;
  hasBody: boolean;
  query: string[];
}

const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "\u0007\b\f\n\r\t",
  "💥🧨",
  "\u202e\u200b",
  "' OR '1'='1",
  "1; DROP TABLE orders; --",
  "<script>alert(1)</script>",
  "../../etc/passwd",
  "%00",
  "x".repeat(100_000),
  "9".repeat(400),
  "-1",
  "1.5",
  "1e308",
  "NaN",
  "null",
];

const NASTY_NUMBERS = [0, -1, 1.5, -0, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, 2 ** 63, 1e-300];

const nastyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom<unknown>(...NASTY_STRINGS, ...NASTY_NUMBERS, null, true, false),
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 10 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

/** Bodies: random objects using the real field names, nasty values, and raw texts no JSON encoder would make. */
const bodyText: fc.Arbitrary<string> = fc.oneof(
  fc
    .record(
      {
        email: nastyValue,
        password: nastyValue,
        name: nastyValue,
        product_id: nastyValue,
        quantity: nastyValue,
        session_id: nastyValue,
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  nastyValue.map((value) => JSON.stringify(value) ?? "null"),
  fc.constantFrom(
    '{"quantity": 1, "quantity": -5, "product_id": 1}',
    '{"email": "a@b.c", "email": "<x>", "password": "12345678"}',
    `${"[".repeat(5000)}${"]".repeat(5000)}`,
    `${'{"a":'.repeat(3000)}1${"}".repeat(3000)}`,
    '{"product_id": 1, "quantity": 1',
    "\u0000\u0001",
    "",
    `{"password": "${"p".repeat(1_000_000)}"}`,
  ),
);

const segment = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS.map((text) => encodeURIComponent(text.slice(0, 500)))),
  fc.nat().map(String),
);

function operationsOf(document: {
  paths: Record<
    string,
    Record<string, { requestBody?: unknown; parameters?: { in: string; name: string }[] }>
  >;
}): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      hasBody: operation.requestBody !== undefined,
      query: (operation.parameters ?? [])
        .filter((parameter) => parameter.in === "query")
        .map((parameter) => parameter.name),
    })),
  );
}

for (const target of storeTargets()) {
  describe(`hostile input on ${target.name}`, () => {
    const stack = useApp(target, { BODY_LIMIT_BYTES: "65536", LOGIN_MAX_FAILURES: "1000" });

    test("no body, query or path parameter of any endpoint in the OpenAPI document gets a 5xx, and every 4xx is problem+json", async () => {
      const document = await (await stack.app.request("/api/v1/openapi.json")).json();
      const operations = operationsOf(document);
      expect(operations.length).toBeGreaterThanOrEqual(10);
      const { customer, order } = await customerWithOrder(stack);
      const unhandled: unknown[] = [];
      const onRejection = (reason: unknown) => unhandled.push(reason);
      process.on("unhandledRejection", onRejection);
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...operations),
            bodyText,
            fc.dictionary(fc.constantFrom("page", "page_size", "x"), segment, { maxKeys: 3 }),
            fc.oneof(fc.constant(String(order.id)), segment),
            fc.boolean(),
            async (operation, body, query, id, authenticated) => {
              const path = `/api/v1${operation.path.replace("{id}", id)}?${new URLSearchParams(query)}`;
              const headers: Record<string, string> = authenticated
                ? { Authorization: `Bearer ${customer.token}` }
                : {};
              if (operation.hasBody) headers["Content-Type"] = "application/json";
              if (operation.path.endsWith("/webhook")) headers["Stripe-Signature"] = "t=1,v1=00";
              const response = await stack.app.request(path, {
                method: operation.method,
                headers,
                body: operation.hasBody || operation.method === "POST" ? body : undefined,
              });
              const status = response.status;
              const contentType = response.headers.get("content-type") ?? "";
              await response.arrayBuffer();
              if (status >= 500 && status !== 503) return false;
              return status < 400 || contentType.startsWith("application/problem+json");
            },
          ),
          { numRuns: 400 },
        );
      } finally {
        process.off("unhandledRejection", onRejection);
      }
      expect(unhandled).toEqual([]);
    }, 120_000);
  });

  describe(`authorization matrix on ${target.name}`, () => {
    const stack = useApp(target);

    test("every order endpoint: anonymous 401, the owner served, another customer and an admin 404", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const stranger = await registerCustomer(stack.app, "stranger");
      const adminUser = await stack.store.createUser({
        email: `admin-${crypto.randomUUID().slice(0, 8)}@example.test`,
        name: "Admin",
        passwordHash: await bunPasswordHasher.hash("admin password"),
        role: "admin",
      });
      const now = Math.floor(Date.now() / 1000);
      const adminToken = await sign(
        { sub: String(adminUser.id), role: "admin", iat: now, exp: now + 600 },
        stack.config.JWT_SECRET,
        "HS256",
      );
      const endpoints: [string, string][] = [
        ["GET", `/api/v1/orders/${order.id}/`],
        ["POST", `/api/v1/orders/${order.id}/create-payment/`],
        ["POST", `/api/v1/orders/${order.id}/confirm-payment/`],
      ];
      for (const [method, path] of endpoints) {
        const call = (token?: string) =>
          stack.app.request(path, { method, headers: token ? { Authorization: `Bearer ${token}` } : {} });
        expect({ path, status: (await call()).status }).toEqual({ path, status: 401 });
        expect({ path, status: (await call(stranger.token)).status }).toEqual({ path, status: 404 });
        expect({ path, status: (await call(adminToken)).status }).toEqual({ path, status: 404 });
        const owner = (await call(customer.token)).status;
        expect({ path, owner: (owner !== 401 && owner !== 404 && owner < 500) || owner === 503 }).toEqual({
          path,
          owner: true,
        });
      }
      const list = await stack.app.request("/api/v1/orders/", {
        headers: { Authorization: `Bearer ${stranger.token}` },
      });
      expect((await list.json()).results).toEqual([]);
    });
  });

  describe(`abuse limits on ${target.name}`, () => {
    const stack = useApp(target, { LOGIN_MAX_FAILURES: "5" });

    test("a burst of 1,000 sign-in attempts is held at the limit with 429s and Retry-After, never a 5xx", async () => {
      const customer = await registerCustomer(stack.app);
      const attempt = (index: number) =>
        stack.app.request("/api/v1/auth/login", {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Test-Peer": "198.51.100.77" },
          body: JSON.stringify({
            email: index % 2 ? customer.email : `nobody${index}@example.test`,
            password: "wrong password",
          }),
        });
      const responses = await Promise.all(Array.from({ length: 1000 }, (_, index) => attempt(index)));
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status >= 500)).toEqual([]);
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(900);
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5 + 20);
      const limited = responses.find((response) => response.status === 429);
      expect(Number(limited?.headers.get("Retry-After"))).toBeGreaterThan(0);
    }, 60_000);

    test("a body over the limit is refused before it is read whole", async () => {
      const chunk = new Uint8Array(16 * 1024).fill(120);
      let pulled = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled++;
          if (pulled > 1000) controller.close();
          else controller.enqueue(chunk);
        },
      });
      const response = await stack.app.request("/api/v1/auth/register", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
      expect(response.status).toBe(413);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      expect(pulled).toBeLessThan(20);
    });

    test("an RS256-labelled token signed with the shared secret as a public key is refused", async () => {
      const customer = await registerCustomer(stack.app);
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${encode({ alg: "RS256", typ: "JWT" })}.${encode({ sub: String(customer.userId), exp: now + 600 })}`;
      const key = await crypto.subtle.importKey(
        "raw",
        new TextEncoder().encode(stack.config.JWT_SECRET),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      const mac = Buffer.from(
        await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(unsigned)),
      ).toString("base64url");
      const response = await stack.app.request("/api/v1/orders/", {
        headers: { Authorization: `Bearer ${unsigned}.${mac}` },
      });
      expect(response.status).toBe(401);
    });
  });
}
