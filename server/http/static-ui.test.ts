import { beforeAll, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serveStatic } from "hono/bun";
import { freshTempDir, storeTargets, useStore } from "../../tests/support.ts";
import { type App, createApp } from "../app.ts";
import { testConfig } from "../config.ts";
import { bunPasswordHasher } from "../runtime/passwords.ts";

const INDEX_HTML = '<!doctype html><html><body><div id="app"></div></body></html>';
const BUNDLE = "console.log('the shop');";

/** A built site in a temporary folder, with a file beside it that must never be served. */
function builtSite(): string {
  const dir = freshTempDir();
  const dist = join(dir, "dist");
  mkdirSync(join(dist, "assets"), { recursive: true });
  writeFileSync(join(dist, "index.html"), INDEX_HTML);
  writeFileSync(join(dist, "assets", "index-Ab12Cd.js"), BUNDLE);
  writeFileSync(join(dist, "assets", "index-Ef34Gh.css"), "body{margin:0}");
  writeFileSync(join(dir, "secret.txt"), "not part of the site");
  return dist;
}

for (const target of storeTargets()) {
  target.describe(`the built customer site served by the app (${target.name})`, () => {
    const db = useStore(target);
    const dist = builtSite();
    let app: App;
    beforeAll(() => {
      app = createApp({
        config: testConfig({ DATABASE_URL: db.url }),
        store: db.store,
        passwords: bunPasswordHasher,
        remoteAddress: () => "127.0.0.1",
        site: { dir: dist, serveStatic },
      });
    });

    test("the home page is index.html, revalidated on every visit, with the app's security headers", async () => {
      const response = await app.request("/");
      expect(response.status).toBe(200);
      expect(response.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("Cache-Control")).toBe("no-cache");
      expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
      // The app's own policy, so the site is covered without nginx in front of it.
      expect(response.headers.get("Content-Security-Policy")).toContain("script-src 'self';");
      expect(await response.text()).toBe(INDEX_HTML);
    });

    test("any other page of the site falls back to index.html for the SPA's router", async () => {
      for (const path of [
        "/orders",
        "/orders/42/payment-result?session_id=cs_test_1",
        "/signin?next=%2Freports",
      ]) {
        const response = await app.request(path);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe(INDEX_HTML);
      }
    });

    test("hashed assets are served with their type and cached for a year", async () => {
      const script = await app.request("/assets/index-Ab12Cd.js");
      expect(script.status).toBe(200);
      expect(script.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
      expect(script.headers.get("Cache-Control")).toBe("public, max-age=31536000, immutable");
      expect(await script.text()).toBe(BUNDLE);
      const style = await app.request("/assets/index-Ef34Gh.css");
      expect(style.headers.get("Content-Type")).toBe("text/css; charset=utf-8");
    });

    test("a HEAD request gets the headers of the page", async () => {
      const response = await app.request("/products", { method: "HEAD" });
      expect(response.status).toBe(200);
      expect(response.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    });

    test("a missing asset is a 404, not the page", async () => {
      const response = await app.request("/assets/index-Gone99.js");
      expect(response.status).toBe(404);
      expect(response.headers.get("Content-Type")).toStartWith("application/problem+json");
    });

    test("nothing outside the built folder can be reached", async () => {
      for (const path of ["/../secret.txt", "/assets/../../secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt"]) {
        const response = await app.request(path);
        expect(await response.text()).not.toContain("not part of the site");
      }
    });

    test("a malformed percent-encoding is answered, not thrown", async () => {
      const response = await app.request("/%E0%A4%A");
      expect(response.status).toBeLessThan(500);
    });

    test("the API, the admin and the health checks keep priority", async () => {
      const products = await app.request("/api/v1/products/");
      expect(products.status).toBe(200);
      expect(products.headers.get("Content-Type")).toStartWith("application/json");
      expect((await app.request("/healthz")).headers.get("Content-Type")).not.toStartWith("text/html");
      expect(await (await app.request("/admin")).text()).not.toBe(INDEX_HTML);
      expect(await (await app.request("/api/docs")).text()).not.toBe(INDEX_HTML);
    });

    test("unknown API and health paths stay problem+json 404s, and unknown admin pages stay the admin's", async () => {
      for (const path of ["/api", "/api/v1/no-such-thing", "/api/v2/products", "/healthz/x", "/readyz/x"]) {
        const response = await app.request(path);
        expect(response.status).toBe(404);
        expect(response.headers.get("Content-Type")).toStartWith("application/problem+json");
      }
      expect(await (await app.request("/admin/no-such-page")).text()).not.toBe(INDEX_HTML);
    });

    test("only GET and HEAD reach the site", async () => {
      const response = await app.request("/orders", { method: "POST" });
      expect(response.status).toBe(404);
      expect(response.headers.get("Content-Type")).toStartWith("application/problem+json");
    });

    const unbuilt = freshTempDir();
    test("without a site, or with a folder that has no index.html, the app serves no pages", async () => {
      for (const site of [undefined, { dir: unbuilt, serveStatic }]) {
        const bare = createApp({
          config: testConfig({ DATABASE_URL: db.url }),
          store: db.store,
          passwords: bunPasswordHasher,
          remoteAddress: () => "127.0.0.1",
          site,
        });
        const response = await bare.request("/orders");
        expect(response.status).toBe(404);
        expect(response.headers.get("Content-Type")).toStartWith("application/problem+json");
      }
    });
  });
}
