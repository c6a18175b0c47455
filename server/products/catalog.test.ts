import { expect, test } from "bun:test";
import { request, storeTargets, useApp } from "../../tests/support.ts";
import { pageParams } from "../http/pagination.ts";
import { CATALOG_CACHE_CONTROL, Catalog, stillFresh } from "./catalog.ts";

for (const target of storeTargets()) {
  target.describe(`the catalog from memory on ${target.name}`, () => {
    const stack = useApp(target);
    const product = (name: string, priceMinor = 500) =>
      stack.store.createProduct({ name, description: "", priceMinor, currency: "usd" });

    test("a page is read from the database once, then from memory until a change moves the counter", async () => {
      let clock = 1_000_000;
      let reads = 0;
      const counted = new Proxy(stack.store, {
        get: (store, name) =>
          name === "listActiveProducts"
            ? (...args: Parameters<typeof store.listActiveProducts>) => {
                reads++;
                return store.listActiveProducts(...args);
              }
            : Reflect.get(store, name),
      });
      const catalog = new Catalog(counted, 250, () => clock);
      const params = pageParams({ page: 1, page_size: 100 });
      const first = await catalog.page(params);
      await catalog.page(params);
      clock += 300;
      expect(await catalog.page(params)).toEqual(first);
      expect(reads).toBe(1);

      // Another instance adds a product: this one shows it once its next check is due, not before.
      const added = await product(`Catalog ${crypto.randomUUID().slice(0, 8)}`);
      clock += 100;
      expect((await catalog.page(params)).json).toBe(first.json);
      clock += 200;
      const count = (page: { json: string }) => JSON.parse(page.json).count as number;
      const after = await catalog.page(params);
      expect(count(after)).toBe(count(first) + 1);
      expect(after.etag).not.toBe(first.etag);
      expect(reads).toBe(2);

      // A change made through this instance shows on its very next request.
      await stack.store.updateProduct(added.id, { ...added, active: false });
      catalog.changed();
      expect(count(await catalog.page(params))).toBe(count(first));
      expect(reads).toBe(3);
    });

    test("pages carry an ETag and a short Cache-Control; If-None-Match with it answers 304 without a body", async () => {
      await product(`Tagged ${crypto.randomUUID().slice(0, 8)}`);
      const first = await request(stack.app, "GET", "/api/v1/products/?page=1&page_size=5");
      expect(first.status).toBe(200);
      expect(first.headers.get("content-type")).toStartWith("application/json");
      expect(first.headers.get("Cache-Control")).toBe(CATALOG_CACHE_CONTROL);
      const etag = first.headers.get("ETag") as string;
      expect(etag).toMatch(/^"[\w-]+"$/);
      const body = await first.json();
      expect(body.results.length).toBeGreaterThan(0);

      const again = await stack.app.request("/api/v1/products/?page=1&page_size=5", {
        headers: { "If-None-Match": `W/${etag}` },
      });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe("");
      expect(again.headers.get("ETag")).toBe(etag);
      const other = await stack.app.request("/api/v1/products/?page=1&page_size=5", {
        headers: { "If-None-Match": '"something-else"' },
      });
      expect(other.status).toBe(200);
    });

    test("If-None-Match is read as HTTP says: a list, weak tags, or *", () => {
      expect(stillFresh('"a", W/"b"', '"b"')).toBe(true);
      expect(stillFresh("*", '"b"')).toBe(true);
      expect(stillFresh('"a"', '"b"')).toBe(false);
      expect(stillFresh(undefined, '"b"')).toBe(false);
    });
  });
}
