import { afterAll, beforeAll, expect, test } from "bun:test";
import { migrateDatabase } from "../../db/migrate-store.ts";
import { openStore } from "../../db/open-store.ts";
import type { Product, Store } from "../../db/store.ts";
import { bunPasswordHasher } from "../../server/runtime/passwords.ts";
import { mysqlTarget } from "../support.ts";
import { freePort } from "../waiting.ts";
import { ServerProcess } from "./processes.ts";

const mysql = mysqlTarget();
const PAGE_SIZE = 10;

interface ProductPage {
  count: number;
  results: { id: number; name: string; price: string }[];
}

/** Two real server processes on one MariaDB: a change made through one must show on the other within a second. */
mysql.describe("the catalog from memory across two servers on one MariaDB", () => {
  const databaseUrl = mysql.url() as string;
  const servers: ServerProcess[] = [];
  let store: Store;
  const admin = {
    email: `catalog-admin-${crypto.randomUUID().slice(0, 8)}@example.test`,
    password: "admin password 1",
  };

  beforeAll(async () => {
    await migrateDatabase(databaseUrl);
    store = await openStore(databaseUrl);
    await store.createUser({
      email: admin.email,
      name: "",
      passwordHash: await bunPasswordHasher.hash(admin.password),
      role: "admin",
    });
    for (let index = 0; index < 2; index++) {
      const server = new ServerProcess(await freePort(), {
        DATABASE_URL: databaseUrl,
        CRM_WORKER: "off",
        CRM_URL: "http://127.0.0.1:9/crm",
        STRIPE_SECRET_KEY: "sk_test_catalog",
        STRIPE_WEBHOOK_SECRET: "whsec_catalog_0123456789abcdefghijk",
      });
      await server.start();
      servers.push(server);
    }
  }, 30_000);

  afterAll(async () => {
    for (const server of servers) await server.kill("SIGTERM");
    await store?.close();
  });

  const page = async (server: ServerProcess, number: number) => {
    const response = await fetch(`${server.url}/api/v1/products/?page=${number}&page_size=${PAGE_SIZE}`);
    return { etag: response.headers.get("ETag") as string, body: (await response.json()) as ProductPage };
  };
  /** Every page of the server's catalog, as a customer paging through it would see them. */
  const everyProduct = async (server: ServerProcess) => {
    const first = await page(server, 1);
    const pages = [first.body];
    for (let number = 2; number <= Math.ceil(first.body.count / PAGE_SIZE); number++) {
      pages.push((await page(server, number)).body);
    }
    return pages.flatMap((body) => body.results);
  };
  /** Milliseconds until `seen` holds on the server, asking every 20 ms, at most 3 s. */
  const timeUntil = async (seen: () => Promise<boolean>) => {
    const started = performance.now();
    while (!(await seen())) {
      if (performance.now() - started > 3000) return Number.POSITIVE_INFINITY;
      await Bun.sleep(20);
    }
    return performance.now() - started;
  };

  async function adminSession(server: ServerProcess) {
    const origin = server.url;
    const login = await fetch(`${server.url}/admin/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: origin },
      body: new URLSearchParams(admin),
      redirect: "manual",
    });
    expect(login.status).toBe(303);
    const sessionLine = login.headers.getSetCookie().find((line) => line.startsWith("admin_session="));
    const cookie = (sessionLine ?? "").split(";")[0] as string;
    const form = await (
      await fetch(`${server.url}/admin/new-product`, { headers: { Cookie: cookie } })
    ).text();
    const csrf = /name="_csrf" value="([0-9a-f]+)"/.exec(form)?.[1] as string;
    return {
      save: (product: Product, changes: { price: string; active: boolean }) =>
        fetch(`${server.url}/admin/products/${product.id}`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: origin, Cookie: cookie },
          body: new URLSearchParams({
            _csrf: csrf,
            name: product.name,
            description: product.description,
            price: changes.price,
            currency: product.currency,
            ...(changes.active ? { active: "on" } : {}),
          }),
          redirect: "manual",
        }),
    };
  }

  test("an admin's change on one server shows on the other within a second; a deactivated product leaves every page; the ETag follows", async () => {
    const [one, two] = servers as [ServerProcess, ServerProcess];
    const product = await store.createProduct({
      name: `Two servers ${crypto.randomUUID().slice(0, 8)}`,
      description: "",
      priceMinor: 1000,
      currency: "usd",
    });
    const onPage = async (server: ServerProcess) =>
      (await everyProduct(server)).find((row) => row.id === product.id);
    expect(await timeUntil(async () => (await onPage(two)) !== undefined)).toBeLessThan(1000);
    const lastPage = Math.ceil((await page(two, 1)).body.count / PAGE_SIZE);
    const before = await page(two, lastPage);
    expect(before.body.results.some((row) => row.id === product.id)).toBe(true);
    const unchanged = await fetch(`${two.url}/api/v1/products/?page=${lastPage}&page_size=${PAGE_SIZE}`, {
      headers: { "If-None-Match": before.etag },
    });
    expect(unchanged.status).toBe(304);

    const session = await adminSession(one);
    expect((await session.save(product, { price: "12.34", active: true })).status).toBe(303);
    expect((await onPage(one))?.price).toBe("12.34");
    const priceShown = await timeUntil(async () => (await onPage(two))?.price === "12.34");
    expect(priceShown).toBeLessThan(1000);
    const after = await page(two, lastPage);
    expect(after.etag).not.toBe(before.etag);
    const stale = await fetch(`${two.url}/api/v1/products/?page=${lastPage}&page_size=${PAGE_SIZE}`, {
      headers: { "If-None-Match": before.etag },
    });
    expect(stale.status).toBe(200);

    expect((await session.save(product, { price: "12.34", active: false })).status).toBe(303);
    expect(await onPage(one)).toBeUndefined();
    const gone = await timeUntil(async () => (await onPage(two)) === undefined);
    expect(gone).toBeLessThan(1000);
    console.log(
      `catalog: a price change showed on the other server after ${priceShown.toFixed(0)} ms, a deactivation after ${gone.toFixed(0)} ms`,
    );
  }, 30_000);
});
