import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import type { CrmStandIn } from "../dev/crm-stand-in.ts";
import { type RunningSimulator, startStripeSimulator } from "../dev/stripe-simulator/server.ts";
import type { RunningServer } from "../server/server.bun.ts";
import { Shopper } from "../tests/resilience/purchase.ts";
import { browserMissing, CHROMIUM } from "./e2e-browser.ts";
import { type E2eShop, type PaymentStandIn, startShop } from "./e2e-shop.ts";
import { LIGHTHOUSE_CATEGORIES, runLighthouse } from "./lighthouse.ts";
import { VIEWPORTS } from "./page-check.ts";

const ADMIN = { email: "e2e-admin@example.test", password: "e2e admin password" };
const WEBHOOK_SECRET = "whsec_e2e_secret_0123456789abcdefgh";

type StripeStandIn = PaymentStandIn & { simulator: RunningSimulator };

/** The real server serving the built site, the Stripe simulator and a local CRM, driven by real Chromium. */
describe.skipIf(browserMissing)("end to end in Chromium", () => {
  let shop: E2eShop<StripeStandIn>;
  let browser: Browser;
  let page: Page;
  let server: RunningServer;
  let simulator: RunningSimulator;
  let crm: CrmStandIn;
  const look = (name: string, on: Page = page, sidewaysScrollers = false) =>
    shop.look(on, name, sidewaysScrollers);

  beforeAll(async () => {
    shop = await startShop({
      name: "e2e",
      currency: "usd",
      admin: ADMIN,
      payments: (port) => {
        const started = startStripeSimulator({
          webhookSecret: WEBHOOK_SECRET,
          webhookUrl: `http://127.0.0.1:${port}/api/v1/payments/stripe/webhook`,
        });
        return {
          simulator: started,
          env: {
            STRIPE_SECRET_KEY: "sk_test_e2e",
            STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
            STRIPE_API_BASE: started.url,
          },
          stop: () => started.stop(),
        };
      },
    });
    ({ browser, server, crm } = shop);
    simulator = shop.payments.simulator;
    page = await browser.newPage({ viewport: VIEWPORTS[0] });
    page.setDefaultTimeout(15_000);
  });

  afterAll(() => shop?.stop());

  const payOnSimulator = async () => {
    await page.waitForURL(/\/checkout\/cs_test_/);
    await look("simulator-checkout");
    await page.getByRole("button", { name: /^Pay / }).click();
    await page.waitForURL(/\/payment-result\?session_id=cs_test_/);
    await page.getByText("Payment received — thank you!").waitFor();
    await page.getByTestId("recording").getByText("Your order is recorded.").waitFor();
    await look("payment-result");
  };

  test("a customer registers, signs in, buys, pays, and sees the order and the numbers", async () => {
    const base = server.url;
    const email = `e2e-${crypto.randomUUID().slice(0, 8)}@example.test`;
    await page.goto(`${base}/orders`);
    await page.waitForURL(/\/signin\?next=%2Forders/);
    await look("sign-in-redirect");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.getByLabel("Name (optional)").fill("E2E Customer");
    await page.getByLabel("Email").fill(email);
    await page.getByLabel(/^Password/).fill("correct horse battery");
    await look("register");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("heading", { name: "My orders" }).waitFor();
    await page.getByText("Welcome, E2E Customer! Your account is ready.").waitFor();
    await page.getByRole("button", { name: /Sign out/ }).click();

    await page.goto(`${base}/signin`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Products" }).waitFor();
    await expect(page.getByRole("note").textContent()).resolves.toContain("Payments are simulated");
    const firstCard = page.locator(".card").first();
    await firstCard.getByLabel("Quantity").fill("2");
    await look("products");
    const icon = await fetch(`${base}/favicon.svg`);
    expect({ status: icon.status, type: icon.headers.get("content-type") }).toEqual({
      status: 200,
      type: "image/svg+xml; charset=utf-8",
    });
    await firstCard.getByRole("button", { name: "Buy now" }).click();
    await payOnSimulator();
    await expect(page.getByTestId("order-status").textContent()).resolves.toBe("Paid");
    await expect(page.getByTestId("recording").textContent()).resolves.toBe("Your order is recorded.");

    await page.getByRole("link", { name: "See all my orders" }).click();
    await page.getByRole("heading", { name: "My orders" }).waitFor();
    const row = page.locator("tbody tr").first();
    await expect(row.textContent()).resolves.toContain("Paid");
    await expect(row.locator("time").getAttribute("datetime")).resolves.toMatch(/^\d{4}-\d\d-\d\dT/);
    await look("my-orders");
    // Each order has a page of its own: its lines, its dates in the shop's zone and its payment.
    await row.getByRole("link", { name: /^#\d+$/ }).click();
    await page.getByRole("heading", { name: /^Order #\d+$/ }).waitFor();
    await page.getByText("Paid", { exact: false }).first().waitFor();
    await look("order-page");
    // The narrowest phones too: My orders and the products fit 320 px without scrolling sideways.
    await page.setViewportSize({ width: 320, height: 640 });
    for (const path of ["/orders", "/"]) {
      await page.goto(`${base}${path}`);
      await page.locator("main h1").waitFor();
      await page.waitForTimeout(100);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect({ path, overflow }).toEqual({ path, overflow: 0 });
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/orders`);
    await page.getByRole("heading", { name: "My orders" }).waitFor();

    await page.getByRole("link", { name: "Reports" }).click();
    await page.getByTestId("total-orders").waitFor();
    expect(Number(await page.getByTestId("paid-orders").textContent())).toBeGreaterThanOrEqual(1);
    await look("reports");
    expect(crm.received.filter((post) => post.status === 201)).toHaveLength(1);

    // A new password from the account page: this browser stays signed in, and only the new password works.
    await page.getByRole("link", { name: "Account" }).click();
    await page.getByRole("heading", { name: "Change password" }).waitFor();
    await page.getByLabel("Current password").fill("correct horse battery");
    await page.getByLabel("New password (at least 8 characters)").fill("a brand new horse battery");
    await page.getByLabel("New password again").fill("a brand new horse battery");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByText("Password changed. You are signed out everywhere else.").waitFor();
    await look("account-password-changed");
    await page.getByRole("link", { name: "My orders" }).click();
    await page.getByRole("heading", { name: "My orders" }).waitFor();
    await expect(page.locator("tbody tr").first().textContent()).resolves.toContain("Paid");
    await page.getByRole("button", { name: /Sign out/ }).click();
    await page.goto(`${base}/signin`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("a brand new horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Products" }).waitFor();
  }, 90_000);

  test("a customer cancels on the checkout page, then pays again", async () => {
    await page.goto(server.url);
    await page.locator(".card").nth(1).getByRole("button", { name: "Buy now" }).click();
    await page.waitForURL(/\/checkout\/cs_test_/);
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.waitForURL(/\/payment-cancelled$/);
    await page.getByRole("heading", { name: "Payment cancelled" }).waitFor();
    await look("payment-cancelled");
    await page.getByRole("button", { name: "Pay again" }).click();
    await payOnSimulator();
  }, 60_000);

  test("a customer calls off an unpaid order from My orders, after one more question", async () => {
    await page.goto(server.url);
    await page.locator(".card").nth(2).getByRole("button", { name: "Buy now" }).click();
    await page.waitForURL(/\/checkout\/cs_test_/);
    await page.goto(`${server.url}/orders`);
    const row = page.locator("tbody tr").first();
    await expect(row.textContent()).resolves.toContain("Awaiting payment");
    await row.getByRole("button", { name: "Cancel", exact: true }).click();
    await look("my-orders-cancel-question");
    await row.getByRole("button", { name: /^Cancel order #/ }).click();
    await row.getByText("Cancelled").waitFor();
    expect(await row.getByRole("button", { name: "Pay now" }).count()).toBe(0);
    await look("my-orders-cancelled");
  }, 60_000);

  test("a customer fills a basket of three products, one at its last unit, pays for it, and that product is then sold out", async () => {
    await page.goto(server.url);
    await page.getByRole("heading", { name: "Products" }).waitFor();
    const card = (name: string) => page.locator(".card", { has: page.getByRole("heading", { name }) });
    await expect(card("Glass Server 600ml").getByText("Only 1 left").count()).resolves.toBe(1);
    await card("Espresso Beans 1kg").getByRole("button", { name: "Add to basket" }).click();
    await card("Burr Grinder").getByLabel("Quantity").fill("2");
    await card("Burr Grinder").getByRole("button", { name: "Add to basket" }).click();
    await card("Glass Server 600ml").getByRole("button", { name: "Add to basket" }).click();
    await card("Glass Server 600ml").getByText("Added 1 × Glass Server 600ml to your basket.").waitFor();
    await page.getByRole("link", { name: "Basket, 4 items" }).waitFor();
    await look("products-added-to-basket");
    // A quantity that cannot be bought is refused beside its field, never bought as another number.
    await card("Burr Grinder").getByLabel("Quantity").fill("0");
    await card("Burr Grinder").getByRole("button", { name: "Add to basket" }).click();
    await card("Burr Grinder").getByRole("alert").waitFor();
    await look("products-quantity-refused");
    await page.getByRole("link", { name: "Basket, 4 items" }).waitFor();
    await page.reload();
    await page.getByRole("link", { name: "Basket, 4 items" }).click();
    await page.getByRole("heading", { name: "Basket" }).waitFor();
    await page.getByLabel("Quantity of Espresso Beans 1kg").fill("3");
    await page.getByLabel("Quantity of Espresso Beans 1kg").blur();
    await page.getByText(/6 items, total/).waitFor();
    await look("basket");
    await page.getByRole("button", { name: "Pay" }).click();
    await payOnSimulator();
    const paid = page.getByRole("status");
    for (const line of ["3 × Espresso Beans 1kg", "2 × Burr Grinder", "1 × Glass Server 600ml"])
      await paid.getByText(line).waitFor();
    await page.getByRole("link", { name: "Basket, 0 items" }).waitFor();
    await page.goto(server.url);
    await card("Glass Server 600ml").getByText("Sold out").waitFor();
    await expect(card("Glass Server 600ml").getByRole("button").count()).resolves.toBe(0);
    await expect(card("Burr Grinder").getByText("Only 1 left").count()).resolves.toBe(1);
    await look("products-sold-out");
    const [post] = crm.received.filter(
      (received) => Array.isArray(received.body.items) && received.body.items.length === 3,
    );
    expect(post?.body.amount).toBe("275.47");
  }, 60_000);

  test("an admin signs in, adds a product that customers then see, and finds the paid order", async () => {
    // A paid order of today, bought over the API, so that this test does not depend on the customer's above.
    const shopper = new Shopper(server.url, simulator.url);
    await shopper.register();
    const [firstProduct] = (await shopper.products()).body.results as { id: number }[];
    const { body: bought } = await shopper.order(firstProduct?.id as number);
    const { body: checkout } = await shopper.createPayment(bought.id);
    await shopper.pay(checkout.session_id, false);
    expect((await shopper.confirm(bought.id, checkout.session_id)).status).toBe(200);
    const adminPage = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const name = `E2E Product ${crypto.randomUUID().slice(0, 6)}`;
    await adminPage.goto(`${server.url}/admin`);
    await adminPage.getByRole("heading", { name: "Sign in" }).waitFor();
    await look("admin-sign-in", adminPage);
    await adminPage.getByLabel("Email").fill(ADMIN.email);
    await adminPage.getByLabel("Password").fill(ADMIN.password);
    await adminPage.getByRole("button", { name: "Sign in" }).click();
    await adminPage.getByRole("heading", { name: "Dashboard" }).waitFor();
    // Today's purchases show in the charts and the key figures.
    await adminPage.getByRole("img", { name: /Gross revenue per day/ }).waitFor();
    expect(
      await adminPage
        .getByRole("img", { name: /Gross revenue per day/ })
        .locator("rect")
        .count(),
    ).toBe(30);
    const paidToday = await adminPage
      .locator("dl[aria-label='Key figures for the range'] > div")
      .filter({ has: adminPage.getByText("Paid orders, refunded ones included", { exact: true }) })
      .locator("dd")
      .first()
      .textContent();
    expect(Number(paidToday)).toBeGreaterThan(0);
    const csv = await adminPage.request.get(`${server.url}/admin/reports/sales.csv`);
    expect(csv.headers()["content-type"]).toBe("text/csv; charset=utf-8");
    expect((await csv.text()).split("\r\n")[0]).toBe("start,orders,paid_orders,revenue,refunds,net");
    await look("admin-dashboard", adminPage, true);
    await adminPage.getByRole("link", { name: "Products", exact: true }).click();
    await adminPage.getByRole("link", { name: "Add a product" }).click();
    await adminPage.getByLabel("Name").fill(name);
    await adminPage.getByLabel("Description").fill("Added by the end-to-end test");
    await adminPage.getByLabel("Price (e.g. 19.99)").fill("7.25");
    await adminPage.getByLabel("Units on hand (empty for unlimited)").fill("4");
    const photo = await sharp({
      create: { width: 1600, height: 1200, channels: 3, background: { r: 90, g: 140, b: 200 } },
    })
      .jpeg()
      .toBuffer();
    await adminPage
      .getByLabel("Picture (JPEG, PNG or WebP, up to 5 MB)")
      .setInputFiles({ name: "product.jpg", mimeType: "image/jpeg", buffer: photo });
    await look("admin-product-form", adminPage);
    await adminPage.getByRole("button", { name: "Save" }).click();
    await adminPage.getByText("Product added.").waitFor();
    await expect(adminPage.locator("tr", { hasText: name }).textContent()).resolves.toContain("4 on hand");
    await adminPage.locator("tr", { hasText: name }).getByRole("link", { name: "Edit" }).click();
    await adminPage.getByRole("img", { name }).waitFor();
    await look("admin-product-edit-picture", adminPage);
    await adminPage.goto(`${server.url}/admin/products`);
    await look("admin-products", adminPage);
    await adminPage.locator("tr", { hasText: name }).getByRole("link", { name: "Delete…" }).click();
    await adminPage.getByRole("heading", { name: `Delete ${name}?` }).waitFor();
    await look("admin-delete-confirm", adminPage);
    await adminPage.getByRole("link", { name: "Keep it" }).click();
    await adminPage.getByRole("heading", { name: "Products" }).waitFor();

    await page.goto(`${server.url}/no-such-page`);
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await expect(page.title()).resolves.toBe("Page not found · Mini Shop");
    await look("not-found");
    // For search engines: a description on every page, and a robots.txt that is one, not the site's HTML.
    await expect(page.locator('meta[name="description"]').getAttribute("content")).resolves.toContain(
      "pay securely",
    );
    const robots = await page.request.get(`${server.url}/robots.txt`);
    expect(robots.headers()["content-type"]).toContain("text/plain");
    expect(await robots.text()).toContain("User-agent: *");
    await page.goto(server.url);
    await page.getByRole("heading", { name: name }).waitFor();
    const shown = page.getByRole("img", { name });
    await shown.scrollIntoViewIfNeeded();
    await expect(
      shown.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0),
    ).resolves.toBe(true);
    await expect(shown.getAttribute("loading")).resolves.toBe("lazy");
    await expect(page.getByText("Only 4 left").count()).resolves.toBe(1);
    await look("customer-sees-new-product");

    await adminPage.getByRole("link", { name: "Orders", exact: true }).click();
    await adminPage.getByLabel("Payment status").selectOption("paid");
    await adminPage.getByRole("button", { name: "Filter" }).click();
    await look("admin-orders", adminPage);
    await adminPage.locator("tbody tr").first().getByRole("link").click();
    await adminPage.getByText("CRM reference").waitFor();
    const detail = await adminPage.locator("dl.detail").textContent();
    expect(detail).toContain("Payment statusPaid");
    expect(detail).toContain("success");
    await look("admin-order", adminPage);
    // A partial refund: asked on the order page, confirmed on the next, made at the Stripe simulator.
    await adminPage.getByLabel(/^Amount/).fill("5.00");
    await adminPage.getByLabel("Reason").selectOption("requested_by_customer");
    await adminPage.getByRole("button", { name: "Review refund" }).click();
    await adminPage.getByText("this cannot be undone").waitFor();
    await look("admin-refund-review", adminPage);
    await adminPage.getByRole("button", { name: "Refund 5.00 USD" }).click();
    await adminPage.getByText("Refund made at Stripe.").waitFor();
    expect(await adminPage.locator("dl.detail").textContent()).toContain("Paid, partly refunded");
    await adminPage.getByRole("heading", { name: "Refunds" }).waitFor();
    await look("admin-order-refunded", adminPage);
    await adminPage.getByRole("link", { name: "Password", exact: true }).click();
    await adminPage.getByRole("heading", { name: "Change password" }).waitFor();
    await adminPage.getByLabel("Current password").fill("not the password");
    await adminPage.getByLabel("New password (at least 8 characters)").fill("another admin password");
    await adminPage.getByLabel("New password again").fill("another admin password");
    await adminPage.getByRole("button", { name: "Change password" }).click();
    await adminPage.getByText("is not the password of this account").waitFor();
    await look("admin-password-refused", adminPage);
    await adminPage.goto(`${server.url}/admin/no-such-page`);
    await adminPage.getByRole("heading", { name: "Not found" }).waitFor();
    await look("admin-not-found", adminPage);
    await adminPage.close();
  }, 60_000);

  test("Lighthouse (mobile) scores at least 95 in every category on the products, sign-in and basket pages, and the products page does not shift", async () => {
    for (const path of ["/", "/signin", "/basket"]) {
      const result = await runLighthouse(`${server.url}${path}`, CHROMIUM);
      console.log(
        `lighthouse ${path}: ${JSON.stringify(result.scores)}, CLS ${result.cumulativeLayoutShift}`,
      );
      const low = LIGHTHOUSE_CATEGORIES.filter((category) => result.scores[category] < 95);
      expect({ path, low, shortfalls: low.length > 0 ? result.shortfalls : [] }).toEqual({
        path,
        low: [],
        shortfalls: [],
      });
      if (path === "/") expect(result.cumulativeLayoutShift).toBeLessThan(0.01);
    }
  }, 120_000);

  test("the API reference at /api/docs runs a request against this server, under the Content-Security-Policy", async () => {
    const docsPage = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const refused: string[] = [];
    docsPage.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
    });
    await docsPage.goto(`${server.url}/api/docs`);
    const listProducts = docsPage.locator(".opblock-get", { hasText: "/products" }).first();
    await listProducts.waitFor();
    await look("api-docs", docsPage, true);
    await listProducts.locator(".opblock-summary").click();
    await listProducts.getByRole("button", { name: "Try it out" }).click();
    await listProducts.getByRole("button", { name: "Execute" }).click();
    const answer = listProducts.locator(".live-responses-table tbody tr").first();
    await answer.locator(".response-col_status", { hasText: "200" }).waitFor();
    expect(await answer.locator(".microlight").first().textContent()).toContain('"results": [');
    await look("api-docs-tried", docsPage, true);
    await docsPage.screenshot({ path: join(shop.screenshots, "api-docs-try-it-1280.png"), fullPage: false });
    expect(refused).toEqual([]);
    await docsPage.close();
  }, 30_000);
});
