import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { migrateDatabase } from "../db/migrate-store.ts";
import { openStore } from "../db/open-store.ts";
import { type CrmStandIn, startCrmStandIn } from "../dev/crm-stand-in.ts";
import { type RunningRazorpaySimulator, startRazorpaySimulator } from "../dev/razorpay-simulator/server.ts";
import { testConfig } from "../server/config.ts";
import { seedDemoProducts } from "../server/products/demo-products.ts";
import { type RunningServer, startBunServer } from "../server/server.bun.ts";
import { freePort } from "../tests/waiting.ts";
import { browserMissing, ensureBuiltSite, launchChromium } from "./e2e-browser.ts";
import { checkPage, VIEWPORTS } from "./page-check.ts";

const SCREENSHOTS = join(import.meta.dirname, "..", "test-artifacts", "e2e-razorpay");
const KEY = { id: "rzp_test_e2e", secret: "razorpay_e2e_key_secret" };
const WEBHOOK_SECRET = "razorpay_e2e_webhook_secret";

/**
 * A shop on Razorpay, end to end: the real server serving the built site with PAYMENT_PROVIDER=razorpay, the
 * Razorpay simulator (its checkout.js stand-in opens over the page, under the app's own CSP) and a local CRM, in
 * real Chromium at a phone's and a laptop's width.
 */
describe.skipIf(browserMissing)("end to end with Razorpay in Chromium", () => {
  let browser: Browser;
  let page: Page;
  let server: RunningServer;
  let razorpay: RunningRazorpaySimulator;
  let crm: CrmStandIn;
  let dataDir: string;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    ensureBuiltSite();
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), "e2e-razorpay-"));
    const databaseUrl = `file:${join(dataDir, "app.db")}`;
    await migrateDatabase(databaseUrl);
    const store = await openStore(databaseUrl);
    await seedDemoProducts(store, "inr", join(dataDir, "media"));
    await store.close();

    const port = await freePort();
    crm = startCrmStandIn();
    razorpay = startRazorpaySimulator({
      keyId: KEY.id,
      keySecret: KEY.secret,
      webhookSecret: WEBHOOK_SECRET,
      webhookUrl: `http://127.0.0.1:${port}/api/v1/payments/razorpay/webhook`,
    });
    server = await startBunServer(
      testConfig({
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        MEDIA_DIR: join(dataDir, "media"),
        APP_URL: `http://127.0.0.1:${port}`,
        CURRENCY: "inr",
        PAYMENT_PROVIDER: "razorpay",
        RAZORPAY_KEY_ID: KEY.id,
        RAZORPAY_KEY_SECRET: KEY.secret,
        RAZORPAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
        RAZORPAY_API_BASE: razorpay.url,
        CRM_URL: crm.url,
      }),
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: VIEWPORTS[0] });
    page.setDefaultTimeout(15_000);
    page.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) cspViolations.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await razorpay?.stop();
    await crm?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    console.log(`e2e screenshots: ${SCREENSHOTS}`);
  });

  const look = async (name: string) => {
    const problems = await checkPage(page, name, SCREENSHOTS);
    expect(problems).toEqual(
      VIEWPORTS.map((viewport) => ({
        page: name,
        width: viewport.width,
        sidewaysScroll: 0,
        cutOff: [],
        accessibility: [],
      })),
    );
  };

  /** Buy now on the first product card; Razorpay Checkout opens over the page. */
  const buyFirstProduct = async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole("heading", { name: "Products" }).waitFor();
    await page.locator(".card").first().getByRole("button", { name: "Buy now" }).click();
    const checkout = page.getByRole("dialog", { name: "Razorpay Checkout (simulator)" });
    await checkout.waitFor();
    return checkout;
  };

  test("a customer buys with Razorpay Checkout at 390 and 1280 px; a closed or failed Checkout leaves the order payable", async () => {
    const email = `e2e-${crypto.randomUUID().slice(0, 8)}@example.test`;
    await page.goto(`${server.url}/register`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel(/^Password/).fill("correct horse battery");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL((url) => url.pathname !== "/register");

    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      const checkout = await buyFirstProduct();
      await page.screenshot({ path: join(SCREENSHOTS, `razorpay-checkout-${viewport.width}.png`) });
      const box = await checkout.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= viewport.width).toBe(true);
      await checkout.getByRole("button", { name: "Pay" }).click();
      await page.waitForURL(/\/payment-result\?razorpay_payment_id=pay_/);
      await page.getByText("Payment received — thank you!").waitFor();
      await page.getByTestId("recording").getByText("Your order is recorded.").waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, `razorpay-paid-${viewport.width}.png`) });
    }
    await look("razorpay-payment-result");
    expect(crm.received.filter((post) => post.status === 201)).toHaveLength(2);

    // Closed: the order waits on the payment-cancelled page; paying again after a failure pays it.
    const closed = await buyFirstProduct();
    await closed.getByRole("button", { name: "Dismiss" }).click();
    await page.waitForURL(/\/orders\/\d+\/payment-cancelled$/);
    await page.getByRole("heading", { name: "Payment cancelled" }).waitFor();
    const orderId = Number(/\/orders\/(\d+)\//.exec(page.url())?.[1]);
    await page.getByRole("button", { name: /Pay/ }).first().click();
    const again = page.getByRole("dialog", { name: "Razorpay Checkout (simulator)" });
    await again.getByRole("button", { name: "Fail" }).click();
    await again.getByText("Payment failed. Try again, or dismiss.").waitFor();
    await again.getByRole("button", { name: "Pay" }).click();
    await page.waitForURL(new RegExp(`/orders/${orderId}/payment-result\\?razorpay_payment_id=pay_`));
    await page.getByText("Payment received — thank you!").waitFor();
    expect(cspViolations).toEqual([]);
  }, 90_000);
});
