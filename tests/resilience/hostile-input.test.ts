import { expect, test } from "bun:test";
import fc from "fast-check";
import { sign } from "hono/jwt";
import Stripe from "stripe";
import { bunPasswordHasher } from "../../server/runtime/passwords.ts";
import {
  RAZORPAY_TEST_KEY,
  RAZORPAY_TEST_WEBHOOK_SECRET,
  TEST_WEBHOOK_SECRET,
  usePaymentStack,
} from "../payment-stacks.ts";
import { customerWithOrder, registerCustomer, request, storeTargets, testAddress } from "../support.ts";

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  example?: unknown;
  $ref?: string;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

interface OpenApiOperation {
  parameters?: { in: "query" | "path"; name: string; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  security?: unknown[];
}

interface Operation {
  method: string;
  path: string;
  /** The request body's fields with their schemas; undefined when the operation documents no body. */
  fields?: Record<string, JsonSchema>;
  query: Record<string, JsonSchema>;
  pathParameters: string[];
  secured: boolean;
}

function operationsOf(document: OpenApiDocument): Operation[] {
  const resolve = (schema: JsonSchema): JsonSchema =>
    schema.$ref ? (document.components.schemas[schema.$ref.split("/").at(-1) as string] ?? {}) : schema;
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const body = operation.requestBody?.content["application/json"]?.schema;
      const parameters = operation.parameters ?? [];
      return {
        method: method.toUpperCase(),
        path,
        fields: body ? (resolve(body).properties ?? {}) : undefined,
        query: Object.fromEntries(
          parameters.filter((p) => p.in === "query").map((p) => [p.name, p.schema] as const),
        ),
        pathParameters: parameters.filter((p) => p.in === "path").map((p) => p.name),
        secured: (operation.security ?? []).length > 0,
      };
    }),
  );
}

const ONE_MB = "x".repeat(1024 * 1024);

const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "\u0007\b\f\n\r\t\u001b[31m",
  "💥🧨👩‍👩‍👧",
  "\u202e\u200b\ufeff",
  "\ud800",
  "' OR '1'='1",
  "1; DROP TABLE orders; --",
  '" OR ""="',
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  "{{7*7}}<%= 7*7 %>",
  "../../etc/passwd",
  "%00",
  "x".repeat(100_000),
  "9".repeat(400),
  "-1",
  "1.5",
  "1e308",
  "0x10",
  "NaN",
  "null",
  "__proto__",
];

const NASTY_NUMBERS = [
  0,
  -1,
  1.5,
  -0.5,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  2 ** 31,
  2 ** 63,
  1e-300,
];

const nastyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom<unknown>(...NASTY_STRINGS, ...NASTY_NUMBERS, null, true, false),
    fc.string({ unit: "binary" }),
    fc.integer(),
    fc.double(),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 10 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

/** A value the field's schema accepts, one on its boundary or just past it, or anything at all. */
function fieldValue(name: string, schema: JsonSchema, known: Record<string, unknown>): fc.Arbitrary<unknown> {
  const choices: fc.WeightedArbitrary<unknown>[] = [{ weight: 2, arbitrary: nastyValue }];
  if (name in known) choices.push({ weight: 4, arbitrary: fc.constant(known[name]) });
  const add = (arbitrary: fc.Arbitrary<unknown>) => choices.push({ weight: 1, arbitrary });
  if (schema.example !== undefined) add(fc.constant(schema.example));
  if (schema.type === "integer" || schema.type === "number") {
    const min = schema.minimum ?? 1;
    const max = Math.min(schema.maximum ?? 1000, Number.MAX_SAFE_INTEGER);
    add(fc.integer({ min, max: Math.min(max, min + 1000) }));
    add(fc.constantFrom(min - 1, max + 1, max));
  }
  if (schema.type === "string") {
    const min = schema.minLength ?? 0;
    const max = schema.maxLength ?? 200;
    add(fc.string({ unit: "grapheme", minLength: min, maxLength: Math.min(max, 60) }));
    add(fc.constantFrom("a".repeat(max), "a".repeat(max + 1), "a".repeat(Math.max(min - 1, 0))));
    if (name === "email") add(fc.emailAddress());
  }
  return fc.oneof(...choices);
}

/** A body's text: an object of the operation's own fields (and fields it must ignore), or raw texts no encoder makes. */
function bodyText(operation: Operation, known: Record<string, unknown>): fc.Arbitrary<string> {
  const fields = operation.fields ?? { email: {}, product_id: {}, quantity: {} };
  const object = fc.record(
    {
      ...Object.fromEntries(
        Object.entries(fields).map(([name, schema]) => [name, fieldValue(name, schema, known)]),
      ),
      amount: nastyValue,
      status: fc.constantFrom("paid", "pending", "admin"),
      user_id: fc.integer(),
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 4, arbitrary: object.map((value) => JSON.stringify(value)) },
    // Duplicate keys: the same field again at the end with another value.
    object
      .chain((value) =>
        fc.tuple(fc.constant(value), fc.constantFrom(...Object.keys(fields)), fieldValue("", {}, known)),
      )
      .map(([value, key, again]) => {
        const text = JSON.stringify(value);
        const tail = `${JSON.stringify(key)}:${JSON.stringify(again) ?? "null"}}`;
        return text === "{}" ? `{${tail}` : `${text.slice(0, -1)},${tail}`;
      }),
    nastyValue.map((value) => JSON.stringify(value) ?? "null"),
    fc.constantFrom(
      `${"[".repeat(5000)}${"]".repeat(5000)}`,
      `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`,
      '{"product_id": 1, "quantity": 1',
      '{"__proto__": {"admin": true}, "constructor": {"prototype": {"role": "admin"}}}',
      "\u0000\u0001",
      "",
      "null",
      `{"password": "${ONE_MB}"}`,
      `{"session_id": "${"s".repeat(60_000)}"}`,
    ),
  );
}

const segment = fc.oneof(
  fc.constantFrom(
    ...NASTY_STRINGS.filter((text) => !/\p{Cs}/u.test(text)).map((text) =>
      encodeURIComponent(text.slice(0, 2000)),
    ),
    "%ED%A0%80",
    "%FF%FE",
    "99999999999999999999999",
    "9007199254740993",
    "1e3",
    "+1",
    "01",
    " 1",
    "1%2F2",
    "%2e%2e",
  ),
  fc.nat().map(String),
  fc.integer().map(String),
);

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "",
];

for (const target of storeTargets()) {
  target.describe(`hostile input on ${target.name}`, () => {
    // Razorpay configured beside Stripe (a shop moving from one to the other), so its webhook is fuzzed too.
    const stack = usePaymentStack(target, {
      LOGIN_MAX_FAILURES: "1000",
      RAZORPAY_KEY_ID: RAZORPAY_TEST_KEY.id,
      RAZORPAY_KEY_SECRET: RAZORPAY_TEST_KEY.secret,
      RAZORPAY_WEBHOOK_SECRET: RAZORPAY_TEST_WEBHOOK_SECRET,
      RAZORPAY_API_BASE: "http://127.0.0.1:9",
    });

    test("fuzzing every operation of the OpenAPI document: no 5xx, no unhandled rejection, every 4xx a problem+json", async () => {
      const document = (await (await stack.app.request("/api/v1/openapi.json")).json()) as OpenApiDocument;
      const operations = operationsOf(document);
      expect(operations.length).toBeGreaterThanOrEqual(11);
      const { customer, product, order } = await customerWithOrder(stack);
      const known = { product_id: product.id, email: customer.email, password: customer.password };
      const unhandled: unknown[] = [];
      const onRejection = (reason: unknown) => unhandled.push(reason);
      process.on("unhandledRejection", onRejection);
      const statuses = new Map<number, number>();
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...operations).chain((operation) =>
              fc.record({
                operation: fc.constant(operation),
                body: fc.option(bodyText(operation, known), { nil: undefined, freq: 6 }),
                contentType: fc.oneof(
                  { weight: 5, arbitrary: fc.constant("application/json") },
                  { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
                ),
                query: fc.dictionary(fc.constantFrom(...Object.keys(operation.query), "x"), segment, {
                  maxKeys: 3,
                }),
                hugeQuery: fc.nat(19).map((n) => n === 0),
                pathValue: fc.oneof(fc.constant(String(order.id)), segment),
                authenticated: fc.nat(3).map((n) => n > 0),
              }),
            ),
            async ({ operation, body, contentType, query, hugeQuery, pathValue, authenticated }) => {
              let path = `/api/v1${operation.path}`;
              for (const name of operation.pathParameters) path = path.replace(`{${name}}`, pathValue);
              const search = new URLSearchParams(query);
              if (hugeQuery) search.set("page", ONE_MB);
              const headers: Record<string, string> = {};
              if (authenticated && operation.secured) headers.Authorization = `Bearer ${customer.token}`;
              if (body !== undefined && contentType) headers["Content-Type"] = contentType;
              if (operation.path.endsWith("/webhook")) headers["Stripe-Signature"] = "t=1,v1=00";
              const response = await stack.app.request(`${path}?${search}`, {
                method: operation.method,
                headers,
                body: operation.method === "GET" ? undefined : body,
              });
              const status = response.status;
              const type = response.headers.get("content-type") ?? "";
              await response.arrayBuffer();
              statuses.set(status, (statuses.get(status) ?? 0) + 1);
              return status < 400 || (status < 500 && type.startsWith("application/problem+json"));
            },
          ),
          { numRuns: 500 },
        );
      } finally {
        process.off("unhandledRejection", onRejection);
      }
      expect(unhandled).toEqual([]);
      console.log(
        `fuzz on ${target.name}: ${[...statuses]
          .sort(([a], [b]) => a - b)
          .map(([status, n]) => `${status}: ${n}`)
          .join(", ")}`,
      );
      // The fuzzing reached the handlers and the database, not only the validators.
      const served = [...statuses].filter(([status]) => status < 300).reduce((sum, [, n]) => sum + n, 0);
      expect(served).toBeGreaterThan(50);
      expect(statuses.get(404)).toBeGreaterThan(0);
    }, 120_000);

    test("authorization matrix: every order endpoint serves only the owner; others get 404, anonymous 401", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const stranger = await registerCustomer(stack.app, "stranger");
      const adminEmail = `admin-${crypto.randomUUID().slice(0, 8)}@example.test`;
      await stack.store.createUser({
        email: adminEmail,
        name: "Admin",
        passwordHash: await bunPasswordHasher.hash("admin password"),
        role: "admin",
      });
      const adminLogin = await request(stack.app, "POST", "/api/v1/auth/login", {
        body: { email: adminEmail, password: "admin password" },
      });
      const adminToken = (await adminLogin.json()).token as string;
      const callers = { anonymous: undefined, stranger: stranger.token, admin: adminToken };
      const endpoints: [method: string, path: string, ownerStatus: number][] = [
        ["GET", `/api/v1/orders/${order.id}/`, 200],
        ["POST", `/api/v1/orders/${order.id}/confirm-payment/`, 409],
        ["POST", `/api/v1/orders/${order.id}/create-payment/`, 201],
      ];
      for (const [method, path, ownerStatus] of endpoints) {
        for (const [caller, token] of Object.entries(callers)) {
          const response = await request(stack.app, method, path, { token });
          expect({
            path,
            caller,
            status: response.status,
            type: response.headers.get("content-type"),
          }).toEqual({
            path,
            caller,
            status: token ? 404 : 401,
            type: "application/problem+json",
          });
        }
        const owner = await request(stack.app, method, path, { token: customer.token });
        expect({ path, owner: owner.status }).toEqual({ path, owner: ownerStatus });
      }
      expect(await stack.store.findOrder(order.id)).toMatchObject({ status: "pending", paidAt: null });

      const list = (token?: string) => request(stack.app, "GET", "/api/v1/orders/", { token });
      expect((await list()).status).toBe(401);
      const ids = async (token: string) =>
        ((await (await list(token)).json()).results as { id: number }[]).map((row) => row.id);
      expect(await ids(customer.token)).toEqual([order.id]);
      expect(await ids(stranger.token)).not.toContain(order.id);
      expect(await ids(adminToken)).not.toContain(order.id);
    });

    test("every secured operation refuses bad tokens with a 401 problem: alg none, HS512, RS256, wrong secret, expired, not yet valid, a deleted user's, garbage", async () => {
      const document = (await (await stack.app.request("/api/v1/openapi.json")).json()) as OpenApiDocument;
      const secured = operationsOf(document).filter((operation) => operation.secured);
      expect(secured.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
        "GET /orders",
        "GET /orders/{id}",
        "GET /reports/products",
        "GET /reports/sales",
        "GET /reports/summary",
        "POST /auth/password",
        "POST /orders",
        "POST /orders/{id}/cancel",
        "POST /orders/{id}/confirm-payment",
        "POST /orders/{id}/create-payment",
        "POST /orders/{id}/refunds",
      ]);
      const { customer, product, order } = await customerWithOrder(stack);
      const deleted = await registerCustomer(stack.app, "deleted");
      expect(await stack.store.deleteUser(deleted.userId)).toBe(true);
      const secret = stack.config.JWT_SECRET;
      const now = Math.floor(Date.now() / 1000);
      const claims = { sub: String(customer.userId), role: "customer", iat: now, exp: now + 600 };
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const hmac = async (input: string) => {
        const key = await crypto.subtle.importKey(
          "raw",
          new TextEncoder().encode(secret),
          { name: "HMAC", hash: "SHA-256" },
          false,
          ["sign"],
        );
        return Buffer.from(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input))).toString(
          "base64url",
        );
      };
      const rsa = await crypto.subtle.generateKey(
        {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: "SHA-256",
        },
        true,
        ["sign", "verify"],
      );
      const rs256Input = `${encode({ alg: "RS256", typ: "JWT" })}.${encode(claims)}`;
      const rs256Signature = Buffer.from(
        await crypto.subtle.sign("RSASSA-PKCS1-v1_5", rsa.privateKey, new TextEncoder().encode(rs256Input)),
      ).toString("base64url");
      const [header, payload, signature] = customer.token.split(".");
      const bad: Record<string, string> = {
        "alg none": `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`,
        "alg None, signature kept": `${encode({ alg: "None", typ: "JWT" })}.${payload}.${signature}`,
        HS512: await sign(claims, secret, "HS512"),
        "RS256 signed with an attacker's key": `${rs256Input}.${rs256Signature}`,
        "RS256 header, HMAC with the secret": `${rs256Input}.${await hmac(rs256Input)}`,
        "wrong secret": await sign(claims, "another-secret-another-secret-another", "HS256"),
        expired: await sign({ ...claims, iat: now - 7200, exp: now - 3600 }, secret, "HS256"),
        "not yet valid": await sign({ ...claims, nbf: now + 300 }, secret, "HS256"),
        "without exp": await sign({ sub: claims.sub, role: "customer" }, secret, "HS256"),
        "a deleted user's": await sign({ ...claims, sub: String(deleted.userId) }, secret, "HS256"),
        "from before a password change": await sign({ ...claims, ver: 1 }, secret, "HS256"),
        tampered: `${header}.${encode({ ...claims, sub: String(deleted.userId + 1) })}.${signature}`,
        "sub not a number": await sign({ ...claims, sub: "1 OR 1=1" }, secret, "HS256"),
        garbage: "garbage",
        "three empty parts": "..",
        "huge header": `${encode({ alg: "HS256", pad: "x".repeat(20_000) })}.${payload}.${signature}`,
      };
      for (const operation of secured) {
        const path = `/api/v1${operation.path.replace("{id}", String(order.id))}`;
        const body = operation.path === "/orders" ? { product_id: product.id, quantity: 1 } : undefined;
        for (const [name, token] of Object.entries(bad)) {
          const response = await request(stack.app, operation.method, path, { token, body });
          expect({
            operation: operation.path,
            name,
            status: response.status,
            type: response.headers.get("content-type"),
          }).toEqual({ operation: operation.path, name, status: 401, type: "application/problem+json" });
        }
        for (const authorization of ["", "Bearer", `Basic ${btoa("a:b")}`, `Token ${customer.token}`]) {
          const response = await stack.app.request(path, {
            method: operation.method,
            headers: { Authorization: authorization },
          });
          expect({ path, authorization, status: response.status }).toEqual({
            path,
            authorization,
            status: 401,
          });
        }
      }
      expect((await request(stack.app, "GET", "/api/v1/orders/", { token: customer.token })).status).toBe(
        200,
      );
    }, 30_000);

    test("webhook: missing, wrong, stale and replayed signatures and a changed body are refused; a fresh one within tolerance is taken once", async () => {
      const { customer, order } = await customerWithOrder(stack);
      const { session_id } = await (
        await request(stack.app, "POST", `/api/v1/orders/${order.id}/create-payment/`, {
          token: customer.token,
        })
      ).json();
      const paid = await (
        await fetch(`${stack.simulatorUrl}/__simulator/sessions/${session_id}/pay?webhook=false`, {
          method: "POST",
        })
      ).json();
      const payload = JSON.stringify({
        id: `evt_${crypto.randomUUID().replace(/-/g, "")}`,
        object: "event",
        type: "checkout.session.completed",
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        data: { object: paid },
      });
      const signatureAt = (secondsAgo: number, body = payload, secret = TEST_WEBHOOK_SECRET) =>
        new Stripe("sk_test_signing_only").webhooks.generateTestHeaderStringAsync({
          payload: body,
          secret,
          timestamp: Math.floor(Date.now() / 1000) - secondsAgo,
          cryptoProvider: Stripe.createSubtleCryptoProvider(),
        });
      const post = async (signature: string | undefined, body = payload) => {
        const response = await fetch(`${stack.appUrl}/api/v1/payments/stripe/webhook`, {
          method: "POST",
          headers: {
            "Content-Type": "application/json",
            ...(signature ? { "Stripe-Signature": signature } : {}),
          },
          body,
        });
        return [response.status, response.headers.get("content-type")];
      };
      const refused = [400, "application/problem+json"];
      const fresh = await signatureAt(0);
      const changed = payload.replace(`"amount_total":${paid.amount_total}`, `"amount_total":1`);
      expect(changed).not.toBe(payload);
      expect({
        missing: await post(undefined),
        wrong: await post(fresh.replace(/v1=\w+/, `v1=${"0".repeat(64)}`)),
        "another secret": await post(await signatureAt(0, payload, "whsec_not_ours")),
        "stale (310 s)": await post(await signatureAt(310)),
        "from the future (310 s)": await post(await signatureAt(-310)),
        "a valid signature over a changed body": await post(fresh, changed),
        "a signature for another body": await post(await signatureAt(0, changed)),
      }).toEqual({
        missing: refused,
        wrong: refused,
        "another secret": refused,
        "stale (310 s)": refused,
        "from the future (310 s)": refused,
        "a valid signature over a changed body": refused,
        "a signature for another body": refused,
      });
      expect(await stack.store.findOrder(order.id)).toMatchObject({ status: "pending", paidAt: null });

      expect(await post(await signatureAt(290))).toEqual([200, "application/json"]);
      const fulfilled = await stack.store.findOrder(order.id);
      expect(fulfilled?.status).toBe("paid");
      expect(await post(await signatureAt(290))).toEqual([200, "application/json"]);
      await stack.crm.awaitSettled(order.id, 2000);
      expect((await stack.store.findOrder(order.id))?.paidAt).toEqual(fulfilled?.paidAt as Date);
      expect(stack.crmStandIn.postsFor(order.id)).toHaveLength(1);
    });
  });

  target.describe(`abuse limits on ${target.name}`, () => {
    const stack = usePaymentStack(target, {
      LOGIN_MAX_FAILURES: "5",
      LOGIN_IP_MAX_FAILURES: "20",
      LOGIN_WINDOW_SECONDS: "900",
    });

    test("a burst of 1,000 sign-in attempts from one address is held at its limits with 429s and a correct Retry-After, never a 5xx; the owner still gets in from elsewhere", async () => {
      const customer = await registerCustomer(stack.app);
      const attacker = { "X-Test-Peer": testAddress() };
      const started = Date.now();
      const attempt = (index: number) =>
        request(stack.app, "POST", "/api/v1/auth/login", {
          headers: attacker,
          body: {
            email: index % 2 ? customer.email : `nobody${index}@example.test`,
            password: "wrong password",
          },
        });
      const responses = await Promise.all(Array.from({ length: 1000 }, (_, index) => attempt(index)));
      const elapsedSeconds = Math.ceil((Date.now() - started) / 1000);
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
      // 20 failures per address in all, at most 5 of them on the customer's account.
      expect(statuses.filter((status) => status === 401)).toHaveLength(20);
      expect(
        statuses.filter((status, index) => status === 401 && index % 2 === 1).length,
      ).toBeLessThanOrEqual(5);
      const retryAfters = responses
        .filter((response) => response.status === 429)
        .map((response) => Number(response.headers.get("Retry-After")));
      expect(retryAfters).toHaveLength(980);
      expect(retryAfters.every((seconds) => seconds >= 900 - elapsedSeconds - 1 && seconds <= 900)).toBe(
        true,
      );
      const limited = responses.find((response) => response.status === 429);
      expect(limited?.headers.get("content-type")).toBe("application/problem+json");
      // The limit holds for the right password too from that address, so guessing cannot go on there...
      const fromAttacker = await request(stack.app, "POST", "/api/v1/auth/login", {
        headers: attacker,
        body: { email: customer.email, password: customer.password },
      });
      expect(fromAttacker.status).toBe(429);
      // ...while the owner, from their own address, signs in.
      const fromOwner = await request(stack.app, "POST", "/api/v1/auth/login", {
        headers: { "X-Test-Peer": testAddress() },
        body: { email: customer.email, password: customer.password },
      });
      expect(fromOwner.status).toBe(200);
    }, 60_000);

    test("a body over the limit is refused before it is read whole: in process, and over a socket with a huge Content-Length or chunked", async () => {
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

      const declared = 100 * 1024 * 1024;
      for (const framing of ["content-length", "chunked"] as const) {
        const { statusLine, sent } = await sendUntilAnswered(stack.appUrl, framing, declared);
        expect({ framing, statusLine }).toEqual({ framing, statusLine: "HTTP/1.1 413 Payload Too Large" });
        expect({ framing, stoppedEarly: sent < 4 * 1024 * 1024 }).toEqual({ framing, stoppedEarly: true });
      }
    }, 30_000);
  });
}

/**
 * Streams a 100 MB body to /auth/register over a raw socket, 64 KB at a time, and stops when the server answers
 * (or after 20 s): the server answers 413 having seen a small part of it.
 */
async function sendUntilAnswered(appUrl: string, framing: "content-length" | "chunked", declared: number) {
  const url = new URL(appUrl);
  let answer = "";
  let closed = false;
  const socket = await Bun.connect({
    hostname: url.hostname,
    port: Number(url.port),
    socket: {
      data: (_, data) => {
        answer += data.toString();
      },
      close: () => {
        closed = true;
      },
    },
  });
  socket.write(
    `POST /api/v1/auth/register HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
      (framing === "chunked" ? "Transfer-Encoding: chunked\r\n\r\n" : `Content-Length: ${declared}\r\n\r\n`),
  );
  const piece = new Uint8Array(64 * 1024).fill(120);
  const frame =
    framing === "chunked"
      ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")])
      : piece;
  let sent = 0;
  let pending: Uint8Array = frame;
  const deadline = Date.now() + 20_000;
  while (!answer && !closed && sent < declared && Date.now() < deadline) {
    const written = Math.max(socket.write(pending), 0);
    sent += written;
    pending = written < pending.length ? pending.subarray(written) : frame;
    await Bun.sleep(pending === frame ? 1 : 10);
  }
  await Bun.sleep(50);
  socket.end();
  return { statusLine: answer.split("\r\n")[0], sent };
}
