import { describe, expect, test } from "bun:test";
import { migrateDatabase } from "../../db/migrate-store.ts";
import { openStore } from "../../db/open-store.ts";
import type { Store } from "../../db/store.ts";
import { apiClient, freshTempDir, request, storeTargets, useApp } from "../../tests/support.ts";
import { createApp } from "../app.ts";
import { testConfig } from "../config.ts";
import { bunPasswordHasher } from "../runtime/passwords.ts";

for (const target of storeTargets()) {
  target.describe(`GET /api/v1/products/ on ${target.name}`, () => {
    const stack = useApp(target, { CATALOG_CHECK_MS: "0" });
    const list = async (query: { page?: string; page_size?: string } = {}) => {
      const response = await apiClient(stack.app).products.$get({ query });
      if (response.status !== 200) throw new Error(`GET /products: ${response.status}`);
      return response;
    };

    test("pages through active products in id order with a DRF-style envelope", async () => {
      const created = [];
      for (let index = 0; index < 3; index++) {
        created.push(
          await stack.store.createProduct({
            name: `Paged ${index}`,
            description: "d",
            priceMinor: 1999,
            currency: "usd",
          }),
        );
      }
      const first = await (await list({ page: "1", page_size: "2" })).json();
      expect(first.page).toBe(1);
      expect(first.page_size).toBe(2);
      expect(first.results).toHaveLength(2);
      expect(first.previous).toBeNull();
      expect(first.next).toBe("/api/v1/products/?page=2&page_size=2");
      const lastPage = Math.ceil(first.count / 2);
      const last = await (await list({ page: String(lastPage), page_size: "2" })).json();
      expect(last.next).toBeNull();
      expect(last.previous).toBe(`/api/v1/products/?page=${lastPage - 1}&page_size=2`);
      expect(last.results.at(-1)).toEqual({
        id: created[2]?.id as number,
        name: "Paged 2",
        description: "d",
        price: "19.99",
        currency: "usd",
        availability: "in_stock",
        left: null,
        image: null,
      });
      const ids = (await (await list({ page_size: "100" })).json()).results.map((product) => product.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    });

    test("hides inactive products and counts only active ones", async () => {
      const before = (await (await list()).json()).count;
      await stack.store.createProduct({
        name: "Hidden",
        description: "",
        priceMinor: 100,
        currency: "usd",
        active: false,
      });
      const after = await (await list({ page_size: "100" })).json();
      expect(after.count).toBe(before);
      expect(after.results.some((product) => product.name === "Hidden")).toBe(false);
    });

    test("formats prices in the currency's minor unit", async () => {
      const yen = await stack.store.createProduct({
        name: "Yen thing",
        description: "",
        priceMinor: 500,
        currency: "jpy",
      });
      const cents = await stack.store.createProduct({
        name: "Cheap thing",
        description: "",
        priceMinor: 5,
        currency: "usd",
      });
      const { count } = await (await list()).json();
      const all = (await (await list({ page_size: "100", page: String(Math.ceil(count / 100)) })).json())
        .results;
      expect(all.find((product) => product.id === yen.id)?.price).toBe("500");
      expect(all.find((product) => product.id === cents.id)?.price).toBe("0.05");
    });

    test("caps page_size at 100 and defaults to 20", async () => {
      expect((await (await list({ page_size: "1000" })).json()).page_size).toBe(100);
      expect((await (await list()).json()).page_size).toBe(20);
    });

    test("works without the trailing slash", async () => {
      const response = await request(stack.app, "GET", "/api/v1/products?page=1");
      expect(response.status).toBe(200);
    });

    test("a page past the end is empty, not an error", async () => {
      const body = await (await list({ page: "99999" })).json();
      expect(body.results).toEqual([]);
    });

    for (const bad of [
      "page=abc",
      "page=0",
      "page=-1",
      "page=1.5",
      "page_size=0",
      "page_size=x",
      "page=99999999999",
    ]) {
      test(`?${bad} is a 400 problem with the field named`, async () => {
        const response = await request(stack.app, "GET", `/api/v1/products/?${bad}`);
        expect(response.status).toBe(400);
        expect(response.headers.get("content-type")).toBe("application/problem+json");
        expect(Object.keys((await response.json()).errors)).toEqual([bad.split("=")[0] as string]);
      });
    }
  });
}

describe("products page query count", () => {
  const dir = freshTempDir();
  test("a full page costs two SQL statements (the page, then a count), the short last page one, and a page asked again none", async () => {
    const url = `file:${dir}/count.db`;
    await migrateDatabase(url);
    const statements: string[] = [];
    const store: Store = await openStore(url, { logQuery: (sql) => statements.push(sql) });
    for (const name of ["First", "Second", "Third"]) {
      await store.createProduct({ name, description: "", priceMinor: 100, currency: "usd" });
    }
    const app = createApp({
      config: testConfig({ DATABASE_URL: url }),
      store,
      passwords: bunPasswordHasher,
      remoteAddress: () => "127.0.0.1",
    });
    const countsOnlyAfterThePage = (sql: string) => /count\(\*\).*"id" > \?/i.test(sql);
    for (const [query, expected] of [
      ["page=1&page_size=2", { statements: 2, countsOnlyAfterThePage: false }],
      ["page=2&page_size=1", { statements: 2, countsOnlyAfterThePage: true }],
      ["page=2&page_size=2", { statements: 1, countsOnlyAfterThePage: false }],
    ] as const) {
      statements.length = 0;
      const response = await app.request(`/api/v1/products/?${query}`);
      expect(response.status).toBe(200);
      expect((await response.json()).count).toBe(3);
      // The catalog's change counter is read at most every CATALOG_CHECK_MS; only the page's own reads count here.
      const pageStatements = statements.filter((sql) => !sql.includes("change_counters"));
      expect({
        query,
        statements: pageStatements.length,
        countsOnlyAfterThePage: pageStatements.some(countsOnlyAfterThePage),
      }).toEqual({ query, ...expected });
      statements.length = 0;
      expect((await app.request(`/api/v1/products/?${query}`)).status).toBe(200);
      expect({ query, again: statements.filter((sql) => sql.includes("products")) }).toEqual({
        query,
        again: [],
      });
    }
    await store.close();
  });
});
