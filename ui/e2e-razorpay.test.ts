import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { CrmStandIn } from "../dev/crm-stand-in.ts";
import { startRazorpaySimulator } from "../dev/razorpay-simulator/server.ts";
import type { RunningServer } from "../server/server.bun.ts";
import { browserMissing } from "./e2e-browser.ts";
import { type E2eShop, type PaymentStandIn, startShop } from "./e2e-shop.ts";
import { VIEWPORTS } from "./page-check.ts";

const KEY = { id: "rzp_test_e2e", secret: "razorpay_e2e_key_secret" };
const WEBHOOK_SECRET = "razorpay_e2e_webhook_secret";

/**
 * A shop on Razorpay, end to end: the real server serving the built site with PAYMENT_PROVIDER=razorpay, the
 * Razorpay simulator (its checkout.js stand-in opens over the page, under the app's own CSP) and a local CRM, in
 * real Chromium at a phone's and a laptop's width.
 */
describe.skipIf(browserMissing)("end to end with Razorpay in Chromium", () => {
  let shop: E2eShop<PaymentStandIn>;
  let page: Page;
  let server: RunningServer;
  let crm: CrmStandIn;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    shop = await startShop({
      name: "e2e-razorpay",
      currency: "inr",
      payments: (port) => {
        const razorpay = startRazorpaySimulator({
          keyId: KEY.id,
          keySecret: KEY.secret,
          webhookSecret: WEBHOOK_SECRET,
          webhookUrl: `http://127.0.0.1:${port}/api/v1/payments/razorpay/webhook`,
        });
        return {
          env: {
            PAYMENT_PROVIDER: "razorpay",
            RAZORPAY_KEY_ID: KEY.id,
            RAZORPAY_KEY_SECRET: KEY.secret,
            RAZORPAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
            RAZORPAY_API_BASE: razorpay.url,
          },
          stop: () => razorpay.stop(),
        };
      },
    });
    ({ server, crm } = shop);
    page = await shop.browser.newPage({ viewport: VIEWPORTS[0] });
    page.setDefaultTimeout(15_000);
    page.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) cspViolations.push(message.text());
    });
  });

  afterAll(() => shop?.stop());

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
      await page.screenshot({ path: join(shop.screenshots, `razorpay-checkout-${viewport.width}.png`) });
      const box = await checkout.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= viewport.width).toBe(true);
      await checkout.getByRole("button", { name: "Pay" }).click();
      await page.waitForURL(/\/payment-result\?razorpay_payment_id=pay_/);
      await page.getByText("Payment received — thank you!").waitFor();
      await page.getByTestId("recording").getByText("Your order is recorded.").waitFor();
      await page.screenshot({ path: join(shop.screenshots, `razorpay-paid-${viewport.width}.png`) });
    }
    await shop.look(page, "razorpay-payment-result");
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
