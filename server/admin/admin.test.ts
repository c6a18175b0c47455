import { describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import sharp from "sharp";
import { usePaymentStack } from "../../tests/payment-stacks.ts";
import {
  adminToken,
  customerWithOrder,
  registerCustomer,
  request,
  storeTargets,
  uniqueEmail,
} from "../../tests/support.ts";
import { waitFor } from "../../tests/waiting.ts";
import type { App } from "../app.ts";
import { PICTURE_MAX_BYTES } from "../products/pictures.ts";
import { bunPasswordHasher } from "../runtime/passwords.ts";
import { parseMinor } from "../shared/money.ts";
import { ensureAdmin } from "./admins.ts";
import { formatMoney } from "./format.tsx";

const ORIGIN = "http://localhost";

/** The admin session's Set-Cookie line (a sign-in also sets the known-device cookie). */
const sessionCookieLine = (response: Response) =>
  response.headers.getSetCookie().find((line) => line.startsWith("admin_session="));

function cookieFrom(response: Response): string {
  return (sessionCookieLine(response) ?? "").split(";")[0] as string;
}

async function form(
  app: App,
  path: string,
  fields: Record<string, string>,
  options: { cookie?: string; origin?: string } = {},
) {
  return app.request(path, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Origin: options.origin ?? ORIGIN,
      ...(options.cookie ? { Cookie: options.cookie } : {}),
    },
    body: new URLSearchParams(fields).toString(),
  });
}

const get = (app: App, path: string, cookie?: string) =>
  app.request(path, { headers: cookie ? { Cookie: cookie } : {} });

/** The `admin_notice=...` pair a form's answer sets, as a browser would send it back. */
const noticeCookie = (response: Response) =>
  response.headers
    .getSetCookie()
    .find((cookie) => cookie.startsWith("admin_notice="))
    ?.split(";")[0];

/** Where a form's answer sends the admin, and the notice it leaves for that page (a cookie, said once). */
function noticeOf(response: Response) {
  return { location: response.headers.get("Location"), notice: noticeCookie(response)?.split("=")[1] };
}

/** The page a form's answer sends the admin to, as the browser asks for it: with the notice's cookie. */
async function follow(app: App, response: Response, cookie: string) {
  return get(app, response.headers.get("Location") as string, `${cookie}; ${noticeCookie(response)}`);
}

const csrfOf = async (app: App, cookie: string) => {
  const html = await (await get(app, "/admin/new-product", cookie)).text();
  return /name="_csrf" value="([0-9a-f]+)"/.exec(html)?.[1] as string;
};

for (const target of storeTargets()) {
  target.describe(`admin page on ${target.name}`, () => {
    const stack = usePaymentStack(target, { LOGIN_MAX_FAILURES: "3" });

    async function signedInAdmin() {
      const credentials = { email: uniqueEmail("admin"), password: "admin password 1" };
      const { user } = await ensureAdmin(stack.store, bunPasswordHasher, credentials);
      const response = await form(stack.app, "/admin/login", credentials);
      expect(response.status).toBe(303);
      const cookie = cookieFrom(response);
      return { user, cookie, csrf: await csrfOf(stack.app, cookie), response };
    }

    describe("changing the admin's password", () => {
      const changePassword = (cookie: string, csrf: string, fields: Record<string, string>) =>
        form(stack.app, "/admin/password", { _csrf: csrf, ...fields }, { cookie });

      test("keeps this session and ends the admin's other sessions and API tokens; only the new password signs in", async () => {
        const here = await signedInAdmin();
        const email = here.user.email;
        const elsewhere = cookieFrom(
          await form(stack.app, "/admin/login", { email, password: "admin password 1" }),
        );
        const apiToken = (
          await (
            await request(stack.app, "POST", "/api/v1/auth/login", {
              body: { email, password: "admin password 1" },
            })
          ).json()
        ).token;
        const page = await get(stack.app, "/admin/password", here.cookie);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('autocomplete="current-password"');

        const changed = await changePassword(here.cookie, here.csrf, {
          currentPassword: "admin password 1",
          newPassword: "admin password 2",
          confirmPassword: "admin password 2",
        });
        expect(changed.status).toBe(303);
        expect(noticeOf(changed)).toEqual({ location: "/admin", notice: "password-changed" });
        const dashboard = await follow(stack.app, changed, here.cookie);
        expect(dashboard.status).toBe(200);
        expect(await dashboard.text()).toContain("Every other session and API token of yours has ended.");
        const other = await get(stack.app, "/admin", elsewhere);
        expect(other.status).toBe(303);
        expect(other.headers.get("Location")).toBe("/admin/login");
        await Bun.sleep(stack.config.AUTH_USER_CACHE_MS + 50);
        expect((await request(stack.app, "GET", "/api/v1/reports/summary", { token: apiToken })).status).toBe(
          401,
        );
        expect((await form(stack.app, "/admin/login", { email, password: "admin password 1" })).status).toBe(
          401,
        );
        expect((await form(stack.app, "/admin/login", { email, password: "admin password 2" })).status).toBe(
          303,
        );
      });

      test("a wrong current password, a short or unconfirmed new one: the form again with the reason, nothing changed", async () => {
        const { user, cookie, csrf } = await signedInAdmin();
        const cases: [Record<string, string>, string][] = [
          [
            {
              currentPassword: "not it",
              newPassword: "admin password 2",
              confirmPassword: "admin password 2",
            },
            "is not the password of this account",
          ],
          [
            { currentPassword: "admin password 1", newPassword: "short", confirmPassword: "short" },
            "at least 8",
          ],
          [
            {
              currentPassword: "admin password 1",
              newPassword: "admin password 2",
              confirmPassword: "admin password 3",
            },
            "does not match the new password",
          ],
        ];
        for (const [fields, reason] of cases) {
          const refused = await changePassword(cookie, csrf, fields);
          expect(refused.status).toBe(400);
          const html = await refused.text();
          expect(html).toContain(reason);
          expect(html).not.toContain("admin password 2");
        }
        const stored = await stack.store.findUserById(user.id);
        expect(await bunPasswordHasher.verify("admin password 1", stored?.passwordHash ?? "")).toBe(true);
        expect((await changePassword(cookie, "", { currentPassword: "admin password 1" })).status).toBe(403);
      });
    });

    test("sign-in sets a HttpOnly, SameSite=Strict session cookie scoped to /admin, and shows the dashboard", async () => {
      const customer = await registerCustomer(stack.app);
      const euroProduct = await stack.store.createProduct({
        name: `Euro ${crypto.randomUUID().slice(0, 8)}`,
        description: "",
        priceMinor: 250,
        currency: "eur",
      });
      const euroOrder = await stack.store.createOrder({
        userId: customer.userId,
        currency: "eur",
        lines: [{ productId: euroProduct.id, quantity: 1, unitPriceMinor: 250 }],
      });
      await stack.store.markOrderPaid(euroOrder.id, {
        sessionId: `cs_test_euro_${euroOrder.id}`,
        paymentIntentId: null,
        paidAt: new Date(),
      });
      const { cookie, response } = await signedInAdmin();
      expect(response.headers.get("Location")).toBe("/admin");
      const setCookie = sessionCookieLine(response) as string;
      expect(setCookie).toContain("HttpOnly");
      expect(setCookie).toContain("SameSite=Strict");
      expect(setCookie).toContain("Path=/admin");
      expect(setCookie).toMatch(/Max-Age=\d+/);
      expect(setCookie).not.toContain("Secure");
      const dashboard = await get(stack.app, "/admin", cookie);
      expect(dashboard.status).toBe(200);
      const html = await dashboard.text();
      const summary = await (
        await request(stack.app, "GET", "/api/v1/reports/summary/", {
          token: await adminToken(stack.app, stack.store),
        })
      ).json();
      expect(html).toContain(`<dd>${summary.total_orders}</dd>`);
      expect(html).toContain(`<dd>${summary.paid_orders}</dd>`);
      expect(html).toContain(`<dd>${summary.pending_orders}</dd>`);
      const money = (amount: string, currency: string) =>
        new Intl.NumberFormat("en", { style: "currency", currency }).format(Number(amount));
      expect(html).toContain(money(summary.total_revenue, "USD"));
      expect(html).toContain(money(summary.revenue_by_currency.eur, "EUR"));
    });

    test("sign-out ends the session on the server: the kept cookie and form token open no page and change nothing", async () => {
      const { cookie, csrf } = await signedInAdmin();
      const out = await form(stack.app, "/admin/logout", { _csrf: csrf }, { cookie });
      expect(out.status).toBe(303);
      expect(out.headers.get("Set-Cookie")).toContain("Max-Age=0");
      expect((await get(stack.app, "/admin", cookie)).headers.get("Location")).toBe("/admin/login");
      const name = `After sign-out ${crypto.randomUUID().slice(0, 8)}`;
      const post = await form(
        stack.app,
        "/admin/products",
        { name, description: "", price: "1.00", currency: "usd", active: "on", _csrf: csrf },
        { cookie },
      );
      expect(post.status).toBe(403);
      expect(await stack.store.findProductByName(name)).toBeUndefined();
    });

    test("a refused form is answered with the refusal's own status on a page that says it: too large is 413, not 403", async () => {
      const { cookie, csrf } = await signedInAdmin();
      const name = `Too large ${crypto.randomUUID().slice(0, 8)}`;
      // The product form takes a picture of up to 5 MB on top of BODY_LIMIT_BYTES; past that it is refused too.
      const limit = PICTURE_MAX_BYTES + stack.config.BODY_LIMIT_BYTES;
      const large = await form(
        stack.app,
        "/admin/products",
        { name, description: "x".repeat(limit), price: "1.00", currency: "usd", _csrf: csrf },
        { cookie },
      );
      expect(large.status).toBe(413);
      const html = await large.text();
      expect(html).toContain("<title>Too large");
      expect(html).toContain(`larger than ${limit} bytes`);
      expect(await stack.store.findProductByName(name)).toBeUndefined();
    });

    test("sign-in takes the admin to the page asked for, and only ever to an admin page of this site", async () => {
      const credentials = { email: uniqueEmail("admin"), password: "admin password 1" };
      await ensureAdmin(stack.store, bunPasswordHasher, credentials);
      const asked = await get(stack.app, "/admin/orders/5?notice=x");
      expect(asked.headers.get("Location")).toBe("/admin/login?next=%2Fadmin%2Forders%2F5%3Fnotice%3Dx");
      const loginPage = await (await get(stack.app, asked.headers.get("Location") as string)).text();
      expect(loginPage).toContain("Sign in to see that page.");
      expect(loginPage).toContain('name="next" value="/admin/orders/5?notice=x"');
      const signedIn = await form(stack.app, "/admin/login", {
        ...credentials,
        next: "/admin/orders/5?notice=x",
      });
      expect(signedIn.headers.get("Location")).toBe("/admin/orders/5?notice=x");
      // A refused password keeps where the admin was going.
      const refused = await form(stack.app, "/admin/login", {
        email: credentials.email,
        password: "wrong password",
        next: "/admin/products",
      });
      expect(await refused.text()).toContain('name="next" value="/admin/products"');

      for (const elsewhere of [
        "https://evil.example/admin",
        "//evil.example/admin",
        "/admin/../api/v1/orders",
        "/\\evil.example",
        "/adminx",
        "/admin/login",
        "",
      ]) {
        const away = await form(stack.app, "/admin/login", { ...credentials, next: elsewhere });
        expect([elsewhere, away.headers.get("Location")]).toEqual([elsewhere, "/admin"]);
      }
    });

    test("anonymous visitors, customers and customers' API tokens get no admin page", async () => {
      expect((await get(stack.app, "/admin")).status).toBe(303);
      expect((await get(stack.app, "/admin/orders")).headers.get("Location")).toBe(
        "/admin/login?next=%2Fadmin%2Forders",
      );
      const customer = await registerCustomer(stack.app);
      const refused = await form(stack.app, "/admin/login", {
        email: customer.email,
        password: customer.password,
      });
      expect(refused.status).toBe(403);
      expect(sessionCookieLine(refused)).toBeUndefined();
      expect(await refused.text()).toContain("This account is not an admin.");
      const withBearer = await stack.app.request("/admin", {
        headers: { Authorization: `Bearer ${customer.token}` },
      });
      expect(withBearer.status).toBe(303);
      const withTokenAsCookie = await get(stack.app, "/admin", `admin_session=${customer.token}`);
      expect(withTokenAsCookie.status).toBe(303);
      expect((await form(stack.app, "/admin/products", { _csrf: "x" }, { cookie: "" })).status).toBe(403);
    });

    test("an admin session is no API token, and ends with a new password or the user deleted", async () => {
      const { user, cookie } = await signedInAdmin();
      const sessionToken = cookie.slice("admin_session=".length);
      const api = await request(stack.app, "GET", "/api/v1/orders/", { token: sessionToken });
      expect(api.status).toBe(401);
      expect((await get(stack.app, "/admin", cookie)).status).toBe(200);
      await stack.store.promoteToAdmin(user.id, await bunPasswordHasher.hash("a new admin password"));
      expect((await get(stack.app, "/admin", cookie)).headers.get("Location")).toBe("/admin/login");

      const again = await signedInAdmin();
      expect((await get(stack.app, "/admin", again.cookie)).status).toBe(200);
      await stack.store.deleteUser(again.user.id);
      expect((await get(stack.app, "/admin", again.cookie)).headers.get("Location")).toBe("/admin/login");
    });

    test("a session ends after its idle time and at its absolute lifetime", async () => {
      const { user } = await signedInAdmin();
      const hour = 3600_000;
      const sessionCookie = async (createdAgoMs: number, lifetimeMs: number) => {
        const token = randomBytes(32).toString("base64url");
        const createdAt = new Date(Date.now() - createdAgoMs);
        await stack.store.createAdminSession({
          tokenHash: createHash("sha256").update(token).digest("hex"),
          userId: user.id,
          createdAt,
          expiresAt: new Date(createdAt.getTime() + lifetimeMs),
        });
        return `admin_session=${token}`;
      };
      const fresh = await sessionCookie(60_000, 8 * hour);
      const idle = await sessionCookie(31 * 60_000, 8 * hour);
      const expired = await sessionCookie(60_000, 30_000);
      expect((await get(stack.app, "/admin", fresh)).status).toBe(200);
      expect((await get(stack.app, "/admin", idle)).headers.get("Location")).toBe("/admin/login");
      expect((await get(stack.app, "/admin", expired)).headers.get("Location")).toBe("/admin/login");
    });

    test("a cross-origin form post, a missing form token and a wrong one are refused", async () => {
      const { cookie, csrf } = await signedInAdmin();
      const product = { name: "CSRF target", description: "", price: "1.00", currency: "usd", active: "on" };
      expect(
        (
          await form(
            stack.app,
            "/admin/products",
            { ...product, _csrf: csrf },
            { cookie, origin: "https://evil.test" },
          )
        ).status,
      ).toBe(403);
      expect((await form(stack.app, "/admin/products", product, { cookie })).status).toBe(403);
      expect(
        (await form(stack.app, "/admin/products", { ...product, _csrf: "0".repeat(64) }, { cookie })).status,
      ).toBe(403);
      expect(await stack.store.findProductByName("CSRF target")).toBeUndefined();
    });

    test("adds a product from good input", async () => {
      const { cookie, csrf } = await signedInAdmin();
      const name = `Admin added ${crypto.randomUUID().slice(0, 8)}`;
      const response = await form(
        stack.app,
        "/admin/products",
        { _csrf: csrf, name, description: "New", price: "12.50", currency: "EUR", active: "on" },
        { cookie },
      );
      expect(response.status).toBe(303);
      expect(await stack.store.findProductByName(name)).toMatchObject({
        priceMinor: 1250,
        currency: "eur",
        active: true,
      });
      const list = await follow(stack.app, response, cookie);
      expect(list.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^admin_notice=;.*Max-Age=0/));
      expect(await list.text()).toContain("Product added.");
      // Said once: the same page again (a reload) does not say it.
      expect(await (await get(stack.app, "/admin/products", cookie)).text()).not.toContain("Product added.");
    });

    test("bad product input is shown next to each field, with what was typed kept", async () => {
      const { cookie, csrf } = await signedInAdmin();
      const response = await form(
        stack.app,
        "/admin/products",
        { _csrf: csrf, name: "", description: "<b>kept</b>", price: "1.999", currency: "xyz" },
        { cookie },
      );
      expect(response.status).toBe(400);
      const html = await response.text();
      expect(html).toContain('id="name-error"');
      expect(html).toContain('id="currency-error"');
      expect(html).toContain("&lt;b&gt;kept&lt;/b&gt;");
      expect(html).toContain('value="1.999"');
      const badPrice = await form(
        stack.app,
        "/admin/products",
        { _csrf: csrf, name: "x", description: "", price: "abc", currency: "usd" },
        { cookie },
      );
      expect(await badPrice.text()).toContain('id="price-error"');

      // Every field's problem at once, each in words that say what would do.
      const html2 = await (
        await form(
          stack.app,
          "/admin/products",
          { _csrf: csrf, name: "", description: "", price: "100000000", currency: "usd", stock: "lots" },
          { cookie },
        )
      ).text();
      expect(html2).toContain('<p class="error" id="name-error">is required</p>');
      expect(html2).toContain('<p class="error" id="price-error">must be at most 20000000.00</p>');
      expect(html2).toContain('id="stock-error"');
      const priceError = async (price: string, currency: string) =>
        /id="price-error">([^<]*)</.exec(
          await (
            await form(stack.app, "/admin/products", { _csrf: csrf, name: "x", price, currency }, { cookie })
          ).text(),
        )?.[1];
      expect(await priceError("0", "usd")).toBe("must be more than 0");
      expect(await priceError("1.999", "usd")).toBe(
        "must be an amount such as 19.99, with at most 2 decimals",
      );
      expect(await priceError("19.5", "jpy")).toBe(
        "must be a whole amount such as 1999, with no decimals in this currency",
      );
      expect(await priceError("", "usd")).toBe("is required");

      // The currency is a choice of the currencies there are, the shop's chosen on a new form.
      const blank = await (await get(stack.app, "/admin/new-product", cookie)).text();
      expect(blank).toContain('<select id="currency" name="currency" required="">');
      expect(blank).toContain('<option value="usd" selected="">USD — US Dollar</option>');
      expect(blank).toContain('<option value="eur">EUR — Euro</option>');
    });

    test("edits a product, and refuses bad edits", async () => {
      const { cookie, csrf } = await signedInAdmin();
      const product = await stack.store.createProduct({
        name: `Editable ${crypto.randomUUID().slice(0, 6)}`,
        description: "",
        priceMinor: 100,
        currency: "usd",
      });
      const edit = await get(stack.app, `/admin/products/${product.id}/edit`, cookie);
      expect(await edit.text()).toContain('value="1.00"');
      const saved = await form(
        stack.app,
        `/admin/products/${product.id}`,
        { _csrf: csrf, name: "Renamed", description: "d", price: "2.00", currency: "usd" },
        { cookie },
      );
      expect(saved.status).toBe(303);
      expect(await stack.store.findProduct(product.id)).toMatchObject({
        name: "Renamed",
        priceMinor: 200,
        active: false,
      });
      const bad = await form(
        stack.app,
        `/admin/products/${product.id}`,
        { _csrf: csrf, name: "Renamed", description: "", price: "-1", currency: "usd" },
        { cookie },
      );
      expect(bad.status).toBe(400);
      expect((await stack.store.findProduct(product.id))?.priceMinor).toBe(200);
      expect((await get(stack.app, "/admin/products/999999999/edit", cookie)).status).toBe(404);
      expect((await get(stack.app, "/admin/products/abc/edit", cookie)).status).toBe(404);
    });

    test("deletes a product no order refers to, and deactivates one with orders", async () => {
      const { cookie, csrf } = await signedInAdmin();
      const unused = await stack.store.createProduct({
        name: `Unused ${crypto.randomUUID().slice(0, 6)}`,
        description: "",
        priceMinor: 100,
        currency: "usd",
      });
      const deleted = await form(
        stack.app,
        `/admin/products/${unused.id}/delete`,
        { _csrf: csrf },
        { cookie },
      );
      expect(noticeOf(deleted)).toEqual({ location: "/admin/products", notice: "deleted" });
      expect(await stack.store.findProduct(unused.id)).toBeUndefined();
      const { product, order, customer } = await customerWithOrder(stack);
      const deactivated = await form(
        stack.app,
        `/admin/products/${product.id}/delete`,
        { _csrf: csrf },
        { cookie },
      );
      expect(noticeOf(deactivated)).toEqual({ location: "/admin/products", notice: "deactivated" });
      expect((await stack.store.findProduct(product.id))?.active).toBe(false);
      const history = await request(stack.app, "GET", `/api/v1/orders/${order.id}/`, {
        token: customer.token,
      });
      expect((await history.json()).product.name).toBe(product.name);
      expect(
        (await form(stack.app, "/admin/products/999999999/delete", { _csrf: csrf }, { cookie })).status,
      ).toBe(404);
    });

    test("orders are listed newest first and filtered by payment and CRM status; a detail view shows everything", async () => {
      const { cookie } = await signedInAdmin();
      const pending = await customerWithOrder(stack);
      const paid = await customerWithOrder(stack);
      await stack.store.markOrderPaid(paid.order.id, {
        sessionId: `cs_test_admin_${paid.order.id}`,
        paymentIntentId: "pi_test_admin",
        paidAt: new Date(),
      });
      const all = await (await get(stack.app, "/admin/orders", cookie)).text();
      expect(all.indexOf(`#${paid.order.id}<`)).toBeLessThan(all.indexOf(`#${pending.order.id}<`));
      const paidOnly = await (await get(stack.app, "/admin/orders?status=paid", cookie)).text();
      expect(paidOnly).toContain(`#${paid.order.id}<`);
      const none = await (await get(stack.app, "/admin/orders?from=2001-01-01&to=2001-01-02", cookie)).text();
      expect(none).toContain("No orders match these filters.");
      expect(none).toContain('<a href="/admin/orders">Show every order</a>');
      expect(none).not.toContain("<table");
      expect(paidOnly).not.toContain(`#${pending.order.id}<`);
      const crmPending = await (await get(stack.app, "/admin/orders?crm=pending", cookie)).text();
      expect(crmPending).toContain(`#${paid.order.id}<`);
      expect(crmPending).not.toContain(`#${pending.order.id}<`);
      const detail = await (await get(stack.app, `/admin/orders/${paid.order.id}`, cookie)).text();
      for (const text of [
        paid.customer.email,
        "pi_test_admin",
        `cs_test_admin_${paid.order.id}`,
        "$39.98",
        "CRM attempts",
      ]) {
        expect(detail).toContain(text);
      }
      expect((await get(stack.app, "/admin/orders/999999999", cookie)).status).toBe(404);
      for (const page of ["0", "-1", "1.5", "1e20", "abc"]) {
        const list = await get(stack.app, `/admin/orders?page=${page}&status=paid`, cookie);
        expect(list.status).toBe(200);
        expect(await list.text()).toContain("Page 1 of");
        expect((await get(stack.app, `/admin/products?page=${page}`, cookie)).status).toBe(200);
      }
    });

    test("Retry CRM sync re-queues a failed sync, which then succeeds", async () => {
      const { cookie, csrf } = await signedInAdmin();
      const { order } = await customerWithOrder(stack);
      await stack.store.markOrderPaid(order.id, {
        sessionId: `cs_test_retry_${order.id}`,
        paymentIntentId: null,
        paidAt: new Date(),
      });
      const lease = new Date(Date.now() + 60_000);
      await stack.store.claimCrmEvent({ kind: "order", subjectId: order.id }, new Date(), lease);
      await stack.store.recordCrmFailure({ kind: "order", subjectId: order.id }, lease, {
        error: "HTTP 500",
        attempts: 8,
        nextAttemptAt: null,
      });
      const detail = await (await get(stack.app, `/admin/orders/${order.id}`, cookie)).text();
      expect(detail).toContain("Retry CRM sync");
      expect(detail).toContain("HTTP 500");
      const failedOnly = await (await get(stack.app, "/admin/orders?crm=failed", cookie)).text();
      expect(failedOnly).toContain(`#${order.id}<`);
      const retried = await form(
        stack.app,
        `/admin/orders/${order.id}/retry-crm`,
        { _csrf: csrf },
        { cookie },
      );
      expect(noticeOf(retried)).toEqual({ location: `/admin/orders/${order.id}`, notice: "resync" });
      await stack.crm.awaitSettled(order.id, 3000);
      // The retry's attempt is counted after the 8 before it, not from 0.
      expect(await stack.store.findOrder(order.id)).toMatchObject({
        crmSyncStatus: "success",
        crmAttempts: 9,
      });

      const again = await form(stack.app, `/admin/orders/${order.id}/retry-crm`, { _csrf: csrf }, { cookie });
      expect(noticeOf(again)).toEqual({ location: `/admin/orders/${order.id}`, notice: "not-failed" });
    });

    test("a refund is asked, reviewed and confirmed on the order page, then listed with its status and CRM status; a pending order can be cancelled", async () => {
      const { cookie, csrf } = await signedInAdmin();
      const { customer, order } = await customerWithOrder(stack, { priceMinor: 2500, quantity: 1 });
      const checkout = await (
        await request(stack.app, "POST", `/api/v1/orders/${order.id}/create-payment/`, {
          token: customer.token,
        })
      ).json();
      await fetch(`${stack.simulatorUrl}/__simulator/sessions/${checkout.session_id}/pay`, {
        method: "POST",
      });
      await stack.crm.awaitSettled(order.id, 3000);

      const detail = await (await get(stack.app, `/admin/orders/${order.id}`, cookie)).text();
      expect(detail).toContain(`action="/admin/orders/${order.id}/refund"`);
      expect(detail).toContain('value="25.00"');
      const tooMuch = await get(stack.app, `/admin/orders/${order.id}/refund?amount=30.00&reason=`, cookie);
      expect(tooMuch.status).toBe(400);
      expect(await tooMuch.text()).toContain("Amount must be at most 25.00");
      const badReason = await get(
        stack.app,
        `/admin/orders/${order.id}/refund?amount=1.00&reason=whim`,
        cookie,
      );
      expect(badReason.status).toBe(400);
      expect(await badReason.text()).toContain("Reason must be one of");
      const review = await get(
        stack.app,
        `/admin/orders/${order.id}/refund?amount=10.00&reason=requested_by_customer`,
        cookie,
      );
      expect(review.status).toBe(200);
      const reviewed = await review.text();
      expect(reviewed).toContain("this cannot be undone");
      expect(reviewed).toContain("Refund 10.00 USD");
      expect((await stack.store.findOrder(order.id))?.refundedMinor).toBe(0);

      const confirmed = await form(
        stack.app,
        `/admin/orders/${order.id}/refunds`,
        { _csrf: csrf, amount: "10.00", reason: "requested_by_customer" },
        { cookie },
      );
      expect(noticeOf(confirmed)).toEqual({ location: `/admin/orders/${order.id}`, notice: "refunded" });
      const refunded = await stack.store.findOrder(order.id);
      expect(refunded).toMatchObject({ status: "paid", refundedMinor: 1000 });
      const shown = await (await follow(stack.app, confirmed, cookie)).text();
      expect(shown).toContain("Refund made at Stripe.");
      expect(shown).toContain(refunded?.refunds[0]?.stripeRefundId as string);
      expect(shown).toContain("Requested by the customer");
      expect(shown).toContain("Paid, partly refunded");
      expect(shown).toContain('value="15.00"');

      const partly = await (await get(stack.app, "/admin/orders?status=paid", cookie)).text();
      expect(partly).toContain(`#${order.id}<`);
      expect(await (await get(stack.app, "/admin/orders?status=refunded", cookie)).text()).not.toContain(
        `#${order.id}<`,
      );

      // Stripe's charge.refunded makes the app list the refunds: let that finish before Stripe starts failing.
      const charge = stack.simulator.intents.get(refunded?.paymentIntentId as string)?.charge;
      await waitFor(
        async () => stack.simulator.events.some((event) => event.objectId === charge && event.status === 200),
        "charge.refunded delivered",
      );
      await fetch(`${stack.simulatorUrl}/__simulator/faults`, {
        method: "POST",
        body: JSON.stringify({ mode: "error", count: 2 }),
      });
      const refused = await form(
        stack.app,
        `/admin/orders/${order.id}/refunds`,
        { _csrf: csrf, amount: "15.00", reason: "" },
        { cookie },
      );
      expect(refused.status).toBe(502);
      expect(await refused.text()).toContain("The payment provider reported an error");
      expect((await stack.store.findOrder(order.id))?.refundReservedMinor).toBe(0);

      const pending = await customerWithOrder(stack);
      expect(await (await get(stack.app, `/admin/orders/${pending.order.id}`, cookie)).text()).toContain(
        `href="/admin/orders/${pending.order.id}/cancel" class="danger">Cancel order #${pending.order.id}…`,
      );
      const question = await (
        await get(stack.app, `/admin/orders/${pending.order.id}/cancel`, cookie)
      ).text();
      expect(question).toContain("This cannot be undone.");
      expect(question).toContain(`action="/admin/orders/${pending.order.id}/cancel"`);
      expect(question).toContain(`<a href="/admin/orders/${pending.order.id}">Keep it</a>`);
      expect((await stack.store.findOrder(pending.order.id))?.status).toBe("pending");
      const paidQuestion = await get(stack.app, `/admin/orders/${order.id}/cancel`, cookie);
      expect(paidQuestion.status).toBe(409);
      expect(await paidQuestion.text()).toContain("Only an unpaid order can be cancelled; this one is paid.");
      const cancelled = await form(
        stack.app,
        `/admin/orders/${pending.order.id}/cancel`,
        { _csrf: csrf },
        { cookie },
      );
      expect(noticeOf(cancelled)).toEqual({
        location: `/admin/orders/${pending.order.id}`,
        notice: "cancelled",
      });
      expect((await stack.store.findOrder(pending.order.id))?.status).toBe("cancelled");
      const listed = await (await get(stack.app, "/admin/orders?status=cancelled", cookie)).text();
      expect(listed).toContain(`#${pending.order.id}<`);
      const again = await form(stack.app, `/admin/orders/${order.id}/cancel`, { _csrf: csrf }, { cookie });
      expect(again.status).toBe(409);
      expect(await again.text()).toContain("A paid order cannot be cancelled.");
    });

    test("the dashboard shows the range's key figures against the range before, charts with their numbers, top products and CRM health", async () => {
      const { cookie } = await signedInAdmin();
      const { order } = await customerWithOrder(stack, { priceMinor: 4200, quantity: 1 });
      await stack.store.markOrderPaid(order.id, {
        sessionId: `cs_test_dashboard_${order.id}`,
        paymentIntentId: null,
        paidAt: new Date(),
      });
      const response = await get(stack.app, "/admin?range=7d&interval=day", cookie);
      expect(response.status).toBe(200);
      const html = await response.text();
      for (const label of [
        "Orders",
        "Paid orders, refunded ones included",
        "Gross revenue",
        "Refunds",
        "Net revenue",
        "Average paid order, gross",
        "Share of orders paid",
      ]) {
        expect(html).toContain(`<dt>${label}</dt>`);
      }
      expect(html).toContain("against the 7 days before");
      expect(html).toMatch(/<svg class="chart"[^>]*role="img"/);
      expect(html).toContain('<title id="revenue-chart-title">Gross revenue per day</title>');
      expect(html).toContain('<desc id="revenue-chart-desc">');
      expect(html.match(/<rect /g)?.length).toBe(14);
      expect(html).toContain("<caption>Per day, in UTC</caption>");
      expect(html).toContain('href="/admin/orders?crm=failed"');
      expect(html).toContain("Waiting for the CRM");
      expect(html).toContain("/admin/reports/sales.csv?from=");
      expect(html).toContain("<h2>Top products</h2>");
      const notADate = await get(stack.app, "/admin?range=custom&from=2026-02-30", cookie);
      expect(notADate.status).toBe(400);
      const notADateHtml = await notADate.text();
      expect(notADateHtml).toContain(
        '<p class="error" id="from-error">must be a date written YYYY-MM-DD</p>',
      );
      expect(notADateHtml).toContain('value="2026-02-30"');
      expect(notADateHtml).toContain(
        "Those dates cannot be shown (see beside them); below are the last 30 days.",
      );
      expect(notADateHtml).toContain("<h2>All time</h2>");
      const reversed = await (
        await get(stack.app, "/admin?range=custom&from=2026-03-10&to=2026-03-01", cookie)
      ).text();
      expect(reversed).toContain('<p class="error" id="from-error">must not be after to</p>');
      // Dates typed over the ones shown are the range, whatever Range still says.
      const typedOver = await (
        await get(
          stack.app,
          "/admin?range=7d&from=2026-03-01&to=2026-03-10&shown_from=2026-11-28&shown_to=2026-12-04&interval=day",
          cookie,
        )
      ).text();
      expect(typedOver).toContain("1 Mar 2026 to 10 Mar 2026 (UTC), against the 10 days before.");
      expect(typedOver).toContain('<option value="custom" selected="">Custom</option>');
      const monthly = await get(stack.app, "/admin?range=last-month&interval=month", cookie);
      expect(monthly.status).toBe(200);
    });

    test("the dashboard says gross, refunds and net wherever it shows money, and its figures equal the reports API's after refunds and cancellations", async () => {
      const { cookie } = await signedInAdmin();
      const token = await adminToken(stack.app, stack.store);
      const paidOrder = async (priceMinor: number) => {
        const { customer, order } = await customerWithOrder(stack, { priceMinor, quantity: 1 });
        const checkout = await (
          await request(stack.app, "POST", `/api/v1/orders/${order.id}/create-payment/`, {
            token: customer.token,
          })
        ).json();
        await fetch(`${stack.simulatorUrl}/__simulator/sessions/${checkout.session_id}/pay`, {
          method: "POST",
        });
        await waitFor(
          async () => (await stack.store.findOrder(order.id))?.status === "paid",
          `order ${order.id} paid`,
        );
        return order;
      };
      const refund = async (orderId: number, amount: string) =>
        expect(
          (
            await request(stack.app, "POST", `/api/v1/orders/${orderId}/refunds/`, {
              token,
              body: { amount },
            })
          ).status,
        ).toBe(201);
      const partly = await paidOrder(5000);
      await refund(partly.id, "20.00");
      const wholly = await paidOrder(3000);
      await refund(wholly.id, "30.00");
      const cancelled = await customerWithOrder(stack);
      await request(stack.app, "POST", `/api/v1/orders/${cancelled.order.id}/cancel/`, {
        token: cancelled.customer.token,
      });
      expect((await stack.store.findOrder(cancelled.order.id))?.status).toBe("cancelled");

      const html = await (await get(stack.app, "/admin?range=7d&interval=day", cookie)).text();
      const sales = await (
        await request(
          stack.app,
          "GET",
          `/api/v1/reports/sales/?from=${html.match(/name="from" type="date" value="([\d-]+)"/)?.[1]}&interval=day`,
          { token },
        )
      ).json();
      const summary = await (await request(stack.app, "GET", "/api/v1/reports/summary/", { token })).json();
      const [range, allTime] = html.split("<h2>All time</h2>") as [string, string];
      /** The figure a dashboard section shows under a label, as text. */
      const figure = (section: string, label: string) =>
        new RegExp(`<dt>${label}</dt><dd>(?:<span class="nowrap">)?([^<]+)`).exec(section)?.[1];
      const dollars = (amount: string) => formatMoney(amount, "usd");

      expect(Number(sales.totals.refunds)).toBeGreaterThanOrEqual(50);
      expect(figure(range, "Orders")).toBe(String(sales.totals.orders));
      expect(figure(range, "Paid orders, refunded ones included")).toBe(String(sales.totals.paid_orders));
      expect(figure(range, "Gross revenue")).toBe(dollars(sales.totals.revenue));
      expect(figure(range, "Refunds")).toBe(dollars(sales.totals.refunds));
      expect(figure(range, "Net revenue")).toBe(dollars(sales.totals.net));
      const minor = (amount: string) => parseMinor(amount, "usd") as number;
      expect(minor(sales.totals.net)).toBe(minor(sales.totals.revenue) - minor(sales.totals.refunds));

      expect(figure(allTime, "Orders")).toBe(String(summary.total_orders));
      expect(figure(allTime, "Paid orders, refunded ones included")).toBe(String(summary.paid_orders));
      expect(figure(allTime, "Cancelled orders")).toBe(String(summary.cancelled_orders));
      expect(figure(allTime, "Gross revenue")).toBe(dollars(summary.gross_revenue));
      expect(figure(allTime, "Refunds")).toBe(dollars(summary.refunded_revenue));
      expect(figure(allTime, "Net revenue")).toBe(dollars(summary.total_revenue));

      // Top products by gross revenue, with the range's refunds said beside them rather than hidden.
      expect(range).toContain('<th scope="col">Gross revenue</th>');
      expect(range).toContain(
        `refunds in this range, ${dollars(sales.totals.refunds)}, are not taken off any product`,
      );
      expect(range).not.toMatch(/<dt>Revenue<\/dt>|<th scope="col">Revenue<\/th>/);
    });

    test("the dashboard's CSV downloads and the orders export follow the filters and dates", async () => {
      const { cookie } = await signedInAdmin();
      const { order } = await customerWithOrder(stack, { priceMinor: 1500, quantity: 2 });
      const today = new Date().toISOString().slice(0, 10);
      const sales = await get(stack.app, `/admin/reports/sales.csv?from=${today}&to=${today}`, cookie);
      expect(sales.headers.get("content-disposition")).toBe(
        `attachment; filename="sales-${today}-${today}.csv"`,
      );
      expect((await sales.text()).split("\r\n")[0]).toStartWith("start,orders,paid_orders,revenue");
      const top = await get(stack.app, `/admin/reports/products.csv?from=${today}&to=${today}`, cookie);
      expect((await top.text()).split("\r\n")[0]).toBe(
        "product.id,product.name,paid_orders,quantity,revenue",
      );

      const exported = await get(
        stack.app,
        `/admin/orders.csv?status=pending&from=${today}&to=${today}`,
        cookie,
      );
      expect(exported.headers.get("content-disposition")).toBe(
        `attachment; filename="orders-${today}-${today}.csv"`,
      );
      const lines = (await exported.text()).trimEnd().split("\r\n");
      expect(lines[0]).toBe(
        "id,created_at,customer_email,product.id,product.name,quantity,item_count,items,amount,currency,status,refunded_amount,paid_at,payment.session_id,crm_sync_status",
      );
      expect(
        lines.some((line) => line.startsWith(`${order.id},`) && line.includes(",30.00,usd,pending,")),
      ).toBe(true);
      expect(lines.slice(1).every((line) => line.includes(",pending,"))).toBe(true);
      const earlier = await get(stack.app, "/admin/orders.csv?from=2001-01-01&to=2001-01-02", cookie);
      expect((await earlier.text()).trimEnd().split("\r\n")).toHaveLength(1);
      const bad = await get(stack.app, "/admin/orders.csv?from=yesterday", cookie);
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain("from: must be a date written YYYY-MM-DD");
      // An unknown status (an old link) filters nothing rather than refusing the page.
      const unknown = await get(stack.app, "/admin/orders.csv?status=lost&crm=maybe", cookie);
      expect(unknown.status).toBe(200);
      expect((await unknown.text()).trimEnd().split("\r\n").length).toBeGreaterThan(1);
    });

    test("delete asks first on a page of its own; times read in the shop's zone with the exact time on hover; money as $; no internal words; a 404 keeps the navigation", async () => {
      const { cookie } = await signedInAdmin();
      const product = await stack.store.createProduct({
        name: `Confirm me ${crypto.randomUUID().slice(0, 6)}`,
        description: "",
        priceMinor: 4999,
        currency: "usd",
      });
      const list = await (await get(stack.app, "/admin/products", cookie)).text();
      expect(list).toContain(`href="/admin/products/${product.id}/delete"`);
      const confirm = await get(stack.app, `/admin/products/${product.id}/delete`, cookie);
      expect(confirm.status).toBe(200);
      const question = await confirm.text();
      expect(question).toContain(`<form method="post" action="/admin/products/${product.id}/delete"`);
      expect(question).toContain("$49.99");
      expect(await stack.store.findProduct(product.id)).toBeDefined();

      const { order } = await customerWithOrder(stack, { priceMinor: 4999, quantity: 1 });
      const detail = await (await get(stack.app, `/admin/orders/${order.id}`, cookie)).text();
      const created = (await stack.store.findOrder(order.id))?.createdAt as Date;
      expect(detail).toContain(
        `<time class="nowrap" datetime="${created.toISOString()}" title="${created.toISOString()} (UTC)">`,
      );
      expect(detail).toContain("Pending (no payment started)");
      expect(detail).not.toMatch(/pending \(unpaid\)|paid \(paid\)/);

      // After a retry is queued, the last attempt's error is shown as the earlier attempt's.
      await stack.store.markOrderPaid(order.id, {
        sessionId: `cs_test_stale_${order.id}`,
        paymentIntentId: null,
        paidAt: new Date(),
      });
      const lease = new Date(Date.now() + 60_000);
      await stack.store.claimCrmEvent({ kind: "order", subjectId: order.id }, new Date(), lease);
      await stack.store.recordCrmFailure({ kind: "order", subjectId: order.id }, lease, {
        error: "HTTP 502",
        attempts: 8,
        nextAttemptAt: null,
      });
      await stack.store.requestCrmResync(
        { kind: "order", subjectId: order.id },
        new Date(Date.now() + 3_600_000),
      );
      expect(await (await get(stack.app, `/admin/orders/${order.id}`, cookie)).text()).toContain(
        "HTTP 502 (an earlier attempt; tried again)",
      );

      const past = await get(stack.app, "/admin/orders?status=pending&page=999999", cookie);
      expect(past.status).toBe(303);
      expect(past.headers.get("Location")).toMatch(/^\/admin\/orders\?status=pending&page=\d+$/);
      expect(
        await (await get(stack.app, past.headers.get("Location") as string, cookie)).text(),
      ).not.toContain("Page 999999");

      const missing = await get(stack.app, "/admin/no-such-page", cookie);
      expect(missing.status).toBe(404);
      const missingHtml = await missing.text();
      expect(missingHtml).toContain('href="/admin/orders"');
      expect(missingHtml).toContain("Sign out");
      expect((await get(stack.app, "/admin/orders/999999999", cookie)).status).toBe(404);
    });

    describe("stock on the product form", () => {
      const fields = (name: string, extra: Record<string, string>) => ({
        name,
        description: "",
        price: "20.00",
        currency: "usd",
        active: "on",
        ...extra,
      });
      const holdUnits = async (productId: number, quantity: number) => {
        const customer = await registerCustomer(stack.app);
        const response = await request(stack.app, "POST", "/api/v1/orders/", {
          token: customer.token,
          body: { items: [{ product_id: productId, quantity }] },
        });
        expect(response.status).toBe(201);
        return (await response.json()).id as number;
      };

      test("a product is added with stock; the form shows on hand and what unpaid orders hold; an adjustment adds received units without overwriting sales", async () => {
        const { cookie, csrf } = await signedInAdmin();
        const name = `Stocked ${crypto.randomUUID().slice(0, 8)}`;
        const added = await form(
          stack.app,
          "/admin/products",
          { ...fields(name, { stock: "10", stock_adjustment: "+2" }), _csrf: csrf },
          { cookie },
        );
        expect(added.status).toBe(303);
        const product = (await stack.store.findProductByName(name)) as NonNullable<
          Awaited<ReturnType<typeof stack.store.findProductByName>>
        >;
        expect(product.stock).toBe(12);
        await holdUnits(product.id, 3);
        const edit = await (await get(stack.app, `/admin/products/${product.id}/edit`, cookie)).text();
        expect(edit).toContain('name="stock" type="text" inputmode="numeric" value="12"');
        expect(edit).toContain('name="stock_shown" value="12"');
        expect(edit).toContain("3 of them held by unpaid orders");
        // Sales happen while the form is open: an adjustment with stock unchanged keeps them.
        const paid = await holdUnits(product.id, 2);
        await stack.store.markOrderPaid(paid, {
          sessionId: `cs_test_stock_${paid}`,
          paymentIntentId: `pi_test_stock_${paid}`,
          paidAt: new Date(),
        });
        expect((await stack.store.findProduct(product.id))?.stock).toBe(10);
        const adjusted = await form(
          stack.app,
          `/admin/products/${product.id}`,
          { ...fields(name, { stock: "12", stock_shown: "12", stock_adjustment: "+20" }), _csrf: csrf },
          { cookie },
        );
        expect(adjusted.status).toBe(303);
        expect(await stack.store.findProduct(product.id)).toMatchObject({ stock: 30, stockReserved: 3 });
        const list = await (await get(stack.app, "/admin/products", cookie)).text();
        expect(list).toContain("30 on hand, 3 held");
      });

      test("a changed stock after sales happened meanwhile is refused with a message, and nothing is saved", async () => {
        const { cookie, csrf } = await signedInAdmin();
        const product = await stack.store.createProduct({
          name: `Raced ${crypto.randomUUID().slice(0, 8)}`,
          description: "",
          priceMinor: 2000,
          currency: "usd",
          stock: 8,
        });
        const paid = await holdUnits(product.id, 3);
        await stack.store.markOrderPaid(paid, {
          sessionId: `cs_test_raced_${paid}`,
          paymentIntentId: `pi_test_raced_${paid}`,
          paidAt: new Date(),
        });
        const refused = await form(
          stack.app,
          `/admin/products/${product.id}`,
          { ...fields(product.name, { stock: "50", stock_shown: "8", price: "25.00" }), _csrf: csrf },
          { cookie },
        );
        expect(refused.status).toBe(400);
        const html = await refused.text();
        expect(html).toContain("changed from 8 to 5 since the form was opened");
        expect(html).toContain('name="stock_shown" value="5"');
        expect(await stack.store.findProduct(product.id)).toMatchObject({ stock: 5, priceMinor: 2000 });
        // Saved again, knowing: the new number is set.
        const saved = await form(
          stack.app,
          `/admin/products/${product.id}`,
          { ...fields(product.name, { stock: "50", stock_shown: "5" }), _csrf: csrf },
          { cookie },
        );
        expect(saved.status).toBe(303);
        expect((await stack.store.findProduct(product.id))?.stock).toBe(50);
      });

      test("stock below what unpaid orders hold, adjustments of unlimited stock and bad numbers are refused on the field", async () => {
        const { cookie, csrf } = await signedInAdmin();
        const product = await stack.store.createProduct({
          name: `Held ${crypto.randomUUID().slice(0, 8)}`,
          description: "",
          priceMinor: 2000,
          currency: "usd",
          stock: 6,
        });
        await holdUnits(product.id, 4);
        const post = (extra: Record<string, string>) =>
          form(
            stack.app,
            `/admin/products/${product.id}`,
            { ...fields(product.name, extra), _csrf: csrf },
            { cookie },
          );
        const below = await post({ stock: "6", stock_shown: "6", stock_adjustment: "-3" });
        expect(below.status).toBe(400);
        expect(await below.text()).toContain("would leave 3 on hand, but unpaid orders hold 4");
        for (const [extra, message] of [
          [{ stock: "", stock_shown: "6", stock_adjustment: "+5" }, "needs a number in stock"],
          [{ stock: "-1", stock_shown: "6" }, "must be a whole number of units"],
          [{ stock: "6", stock_shown: "6", stock_adjustment: "lots" }, "must be units to add or take off"],
        ] as const) {
          const response = await post(extra);
          expect(response.status).toBe(400);
          expect(await response.text()).toContain(message);
        }
        expect(await stack.store.findProduct(product.id)).toMatchObject({ stock: 6, stockReserved: 4 });
        const dashboard = await (await get(stack.app, "/admin", cookie)).text();
        expect(dashboard).toContain("<h2>Low stock</h2>");
        expect(dashboard).toContain(`>${product.name}</a>`);
      });
    });

    describe("pictures on the product form", () => {
      const picture = (width: number, height: number, format: "png" | "jpeg" | "webp" | "gif" = "png") =>
        sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } })
          .toFormat(format)
          .toBuffer();
      const upload = (
        cookie: string,
        path: string,
        fields: Record<string, string>,
        file?: { bytes: Uint8Array; name: string; type: string },
      ) => {
        const body = new FormData();
        for (const [name, value] of Object.entries(fields)) body.set(name, value);
        if (file)
          body.set(
            "image",
            new File([file.bytes as Uint8Array<ArrayBuffer>], file.name, { type: file.type }),
          );
        return stack.app.request(path, { method: "POST", headers: { Origin: ORIGIN, Cookie: cookie }, body });
      };
      const fields = (name: string, csrf: string) => ({
        name,
        description: "",
        price: "12.00",
        currency: "usd",
        active: "on",
        stock: "",
        stock_shown: "",
        _csrf: csrf,
      });
      const files = (hash: string) =>
        readdirSync(stack.config.MEDIA_DIR).filter((file) => file.startsWith(hash));

      test("an upload is stored as WebP versions named by its hash, listed with srcset, and served for a year", async () => {
        const { cookie, csrf } = await signedInAdmin();
        const name = `Pictured ${crypto.randomUUID().slice(0, 8)}`;
        const bytes = await picture(1600, 1200, "jpeg");
        const response = await upload(cookie, "/admin/products", fields(name, csrf), {
          bytes,
          name: "kettle.jpg",
          type: "image/jpeg",
        });
        expect(response.status).toBe(303);
        const product = await stack.store.findProductByName(name);
        const hash = createHash("sha256").update(bytes).digest("hex");
        expect(product).toMatchObject({ imageHash: hash, imageWidth: 1280, imageHeight: 960 });
        expect(files(hash).sort()).toEqual([`${hash}-1280.webp`, `${hash}-320.webp`, `${hash}-640.webp`]);
        const { count } = await (await request(stack.app, "GET", "/api/v1/products/?page_size=1")).json();
        const lastPage = await request(
          stack.app,
          "GET",
          `/api/v1/products/?page_size=100&page=${Math.ceil(count / 100)}`,
        );
        const listed = (await lastPage.json()).results.find((row: { id: number }) => row.id === product?.id);
        expect(listed?.image).toEqual({
          url: `/media/products/${hash}-1280.webp`,
          width: 1280,
          height: 960,
          srcset: `/media/products/${hash}-320.webp 320w, /media/products/${hash}-640.webp 640w, /media/products/${hash}-1280.webp 1280w`,
        });
        const served = await stack.app.request(`/media/products/${hash}-640.webp`);
        expect(served.status).toBe(200);
        expect(served.headers.get("Content-Type")).toBe("image/webp");
        expect(served.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
        expect(await sharp(new Uint8Array(await served.arrayBuffer())).metadata()).toMatchObject({
          format: "webp",
          width: 640,
          height: 480,
        });
        for (const path of ["/media/products/../../etc/passwd", `/media/products/${hash}-640.png`])
          expect((await stack.app.request(path)).status).toBe(404);
      });

      test("what is not a JPEG, PNG or WebP, or unpacks to a bomb, or is over 5 MB is refused with a clear 400", async () => {
        const { cookie, csrf } = await signedInAdmin();
        const before = readdirSync(stack.config.MEDIA_DIR).length;
        const refused = async (file: { bytes: Uint8Array; name: string; type: string }, message: string) => {
          const name = `Refused ${crypto.randomUUID().slice(0, 8)}`;
          const response = await upload(cookie, "/admin/products", fields(name, csrf), file);
          expect(response.status).toBe(400);
          const html = await response.text();
          expect(html).toContain(message);
          expect(html).toContain('id="image-error"');
          expect(await stack.store.findProductByName(name)).toBeUndefined();
        };
        const text = new TextEncoder().encode("<?php echo 'not a picture'; ?>");
        await refused(
          { bytes: text, name: "photo.png", type: "image/png" },
          "is not a JPEG, PNG or WebP picture",
        );
        await refused(
          { bytes: await picture(40, 40, "gif"), name: "moving.gif", type: "image/gif" },
          "is not a JPEG, PNG or WebP picture",
        );
        await refused(
          { bytes: await picture(8000, 8000), name: "bomb.png", type: "image/png" },
          "has 8000 × 8000 pixels; at most 40 megapixels are taken",
        );
        const large = new Uint8Array(5 * 1024 * 1024 + 1);
        large.set(await picture(10, 10));
        await refused({ bytes: large, name: "large.png", type: "image/png" }, "is larger than 5 MB");
        expect(readdirSync(stack.config.MEDIA_DIR)).toHaveLength(before);
      });

      test("replacing or removing a picture deletes the files no product shows any more", async () => {
        const { cookie, csrf } = await signedInAdmin();
        const [first, second] = [await picture(700, 350), await picture(300, 300, "webp")];
        const hashOf = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
        const make = async (name: string) => {
          expect(
            (
              await upload(cookie, "/admin/products", fields(name, csrf), {
                bytes: first,
                name: "a.png",
                type: "image/png",
              })
            ).status,
          ).toBe(303);
          return (await stack.store.findProductByName(name)) as NonNullable<
            Awaited<ReturnType<typeof stack.store.findProductByName>>
          >;
        };
        const one = await make(`Shared ${crypto.randomUUID().slice(0, 8)}`);
        const two = await make(`Shared ${crypto.randomUUID().slice(0, 8)}`);
        expect(files(hashOf(first)).sort()).toEqual([
          `${hashOf(first)}-320.webp`,
          `${hashOf(first)}-640.webp`,
          `${hashOf(first)}-700.webp`,
        ]);
        // One of the two products gets another picture: the first stays, as the other product still shows it.
        expect(
          (
            await upload(cookie, `/admin/products/${one.id}`, fields(one.name, csrf), {
              bytes: second,
              name: "b.webp",
              type: "image/webp",
            })
          ).status,
        ).toBe(303);
        expect(await stack.store.findProduct(one.id)).toMatchObject({
          imageHash: hashOf(second),
          imageWidth: 300,
        });
        expect(files(hashOf(second))).toEqual([`${hashOf(second)}-300.webp`]);
        expect(files(hashOf(first))).toHaveLength(3);
        // The other removes it: now no product shows it, and its files go.
        expect(
          (
            await upload(cookie, `/admin/products/${two.id}`, {
              ...fields(two.name, csrf),
              remove_image: "on",
            })
          ).status,
        ).toBe(303);
        expect(await stack.store.findProduct(two.id)).toMatchObject({ imageHash: null, imageWidth: null });
        expect(files(hashOf(first))).toEqual([]);
        // Saving without a file keeps the picture.
        expect((await upload(cookie, `/admin/products/${one.id}`, fields(one.name, csrf))).status).toBe(303);
        expect((await stack.store.findProduct(one.id))?.imageHash).toBe(hashOf(second));
      });

      test("the product form lets a 5 MB picture through, and nothing else that large", async () => {
        const { cookie, csrf } = await signedInAdmin();
        const big = new Uint8Array(4 * 1024 * 1024);
        big.set(await picture(20, 20));
        const name = `Big upload ${crypto.randomUUID().slice(0, 8)}`;
        // Padding after the PNG's end is ignored by the decoder: a real 4 MB upload gets through the limit.
        const response = await upload(cookie, "/admin/products", fields(name, csrf), {
          bytes: big,
          name: "big.png",
          type: "image/png",
        });
        expect(response.status).toBe(303);
        const other = await form(
          stack.app,
          "/admin/password",
          { _csrf: csrf, currentPassword: "x".repeat(2 * 1024 * 1024) },
          { cookie },
        );
        expect(other.status).toBe(413);
      });
    });

    test("a basket's order page and the orders CSV list its lines", async () => {
      const { cookie } = await signedInAdmin();
      const [kettle, mug] = await Promise.all(
        [4999, 1250].map((priceMinor) =>
          stack.store.createProduct({
            name: `Line ${crypto.randomUUID().slice(0, 8)}`,
            description: "",
            priceMinor,
            currency: "usd",
          }),
        ),
      );
      const customer = await registerCustomer(stack.app);
      const placed = await (
        await request(stack.app, "POST", "/api/v1/orders/", {
          token: customer.token,
          body: {
            items: [
              { product_id: kettle?.id, quantity: 1 },
              { product_id: mug?.id, quantity: 2 },
            ],
          },
        })
      ).json();
      const page = await (await get(stack.app, `/admin/orders/${placed.id}`, cookie)).text();
      expect(page).toContain("<caption>Lines</caption>");
      expect(page).toContain(`>${mug?.name}</a>`);
      expect(page).toContain("$25.00");
      const list = await (await get(stack.app, "/admin/orders", cookie)).text();
      expect(list).toContain(`1 × ${kettle?.name} and 1 more`);
      const csv = await (await get(stack.app, "/admin/orders.csv", cookie)).text();
      expect(csv.split("\n")[0]).toContain("quantity,item_count,items,amount");
      expect(csv).toContain(`2,1 × ${kettle?.name} = 49.99; 2 × ${mug?.name} = 25.00,74.99`);
    });

    test("repeated failed admin sign-ins are rate limited like the API's", async () => {
      const email = uniqueEmail("admin-target");
      await ensureAdmin(stack.store, bunPasswordHasher, { email, password: "the right password" });
      for (let attempt = 0; attempt < 3; attempt++) {
        expect((await form(stack.app, "/admin/login", { email, password: "wrong password" })).status).toBe(
          401,
        );
      }
      const limited = await form(stack.app, "/admin/login", { email, password: "the right password" });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
    });
  });
}

describe("admin session cookie in production", () => {
  const target = storeTargets()[0];
  if (!target) throw new Error("no store target");
  const stack = usePaymentStack(target, {
    NODE_ENV: "production",
    JWT_SECRET: "a-production-secret-of-at-least-32-chars",
    APP_URL: "https://shop.test",
    TRUSTED_PROXIES: "none",
  });

  test("is marked Secure", async () => {
    const credentials = { email: uniqueEmail("prod-admin"), password: "admin password 1" };
    await ensureAdmin(stack.store, bunPasswordHasher, credentials);
    const response = await form(stack.app, "/admin/login", credentials);
    expect(response.headers.get("Set-Cookie")).toContain("Secure");
  });
});
