import { expect } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { migrateDatabase } from "../db/migrate-store.ts";
import { openStore } from "../db/open-store.ts";
import { type CrmStandIn, startCrmStandIn } from "../dev/crm-stand-in.ts";
import { ensureAdmin } from "../server/admin/admins.ts";
import { testConfig } from "../server/config.ts";
import { seedDemoProducts } from "../server/products/demo-products.ts";
import { bunPasswordHasher } from "../server/runtime/passwords.ts";
import { type RunningServer, startBunServer } from "../server/server.bun.ts";
import { freePort } from "../tests/waiting.ts";
import { ensureBuiltSite, launchChromium } from "./e2e-browser.ts";
import { checkPage, VIEWPORTS } from "./page-check.ts";

/** A payment provider's simulator, started for the shop's port (its webhooks go there), and the server's settings for it. */
export interface PaymentStandIn {
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface ShopOptions<P extends PaymentStandIn> {
  /** The suite's name: its screenshots go to test-artifacts/<name>, its data to a temporary folder of that prefix. */
  name: string;
  currency: string;
  admin?: { email: string; password: string };
  payments(port: number): P;
}

export interface E2eShop<P extends PaymentStandIn> {
  server: RunningServer;
  payments: P;
  crm: CrmStandIn;
  browser: Browser;
  /** test-artifacts/<name>, emptied at the start. */
  screenshots: string;
  /**
   * Screenshots the page at a phone's and a laptop's width (numbered in the order taken), and expects it to look
   * right to a person (ui/page-check.ts). Only boxes meant to scroll sideways may (`sidewaysScrollers`).
   */
  look(page: Page, name: string, sidewaysScrollers?: boolean): Promise<void>;
  stop(): Promise<void>;
}

/**
 * What an end-to-end suite drives: the real server serving the built site from a new SQLite database with the demo
 * products (and an admin), a local CRM, a payment provider's simulator, and Chromium.
 */
export async function startShop<P extends PaymentStandIn>(options: ShopOptions<P>): Promise<E2eShop<P>> {
  ensureBuiltSite();
  const screenshots = join(import.meta.dirname, "..", "test-artifacts", options.name);
  rmSync(screenshots, { recursive: true, force: true });
  mkdirSync(screenshots, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), `${options.name}-`));
  const databaseUrl = `file:${join(dataDir, "app.db")}`;
  await migrateDatabase(databaseUrl);
  const store = await openStore(databaseUrl);
  await seedDemoProducts(store, options.currency, join(dataDir, "media"));
  if (options.admin) await ensureAdmin(store, bunPasswordHasher, options.admin);
  await store.close();

  const port = await freePort();
  const crm = startCrmStandIn();
  const payments = options.payments(port);
  let server: RunningServer | undefined;
  const stopServices = async () => {
    await server?.stop();
    await payments.stop();
    await crm.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  let browser: Browser;
  try {
    server = await startBunServer(
      testConfig({
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        MEDIA_DIR: join(dataDir, "media"),
        APP_URL: `http://127.0.0.1:${port}`,
        CURRENCY: options.currency,
        CRM_URL: crm.url,
        ...payments.env,
      }),
    );
    browser = await launchChromium();
  } catch (error) {
    await stopServices();
    throw error;
  }
  let shots = 0;
  return {
    server,
    payments,
    crm,
    browser,
    screenshots,
    async look(page, name, sidewaysScrollers = false) {
      shots++;
      const label = `${String(shots).padStart(2, "0")}-${name}`;
      const problems = await checkPage(page, label, screenshots, { sidewaysScrollers });
      expect(problems).toEqual(
        VIEWPORTS.map((viewport) => ({
          page: label,
          width: viewport.width,
          sidewaysScroll: 0,
          cutOff: [],
          accessibility: [],
        })),
      );
    },
    async stop() {
      await browser.close();
      await stopServices();
      console.log(`${options.name} screenshots: ${screenshots}`);
    },
  };
}
