import { expect, test } from "bun:test";
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serveStatic } from "hono/bun";
import type { Store } from "../db/store.ts";
import { createApp } from "../server/app.ts";
import { testConfig } from "../server/config.ts";
import { bunPasswordHasher } from "../server/runtime/passwords.ts";
import { freshTempDir } from "../tests/support.ts";

const ROOT = join(import.meta.dirname, "..");

test("bun run build:ui switches ui/dist to a new build in one step, serving every request meanwhile and keeping the previous build's assets", async () => {
  const root = freshTempDir();
  // What an older version left: ui/dist as a plain folder, with a page that loads a hashed script.
  mkdirSync(join(root, "dist", "assets"), { recursive: true });
  writeFileSync(
    join(root, "dist", "index.html"),
    '<!doctype html><script src="/assets/old-3f9a1c.js"></script>',
  );
  writeFileSync(join(root, "dist", "assets", "old-3f9a1c.js"), "console.log('old build');");
  const app = createApp({
    config: testConfig(),
    store: {} as Store,
    passwords: bunPasswordHasher,
    remoteAddress: () => "127.0.0.1",
    site: { dir: join(root, "dist"), serveStatic },
  });

  // The first build turns that folder into a build of its own (a one-time step) and points ui/dist at the new one.
  const first = Bun.spawnSync(["bun", "run", "ui/build.ts", "--into", root], { cwd: ROOT, stderr: "pipe" });
  expect({ exitCode: first.exitCode, stderr: first.stderr.toString() }).toMatchObject({ exitCode: 0 });
  expect(lstatSync(join(root, "dist")).isSymbolicLink()).toBe(true);
  expect(await (await app.request("/assets/old-3f9a1c.js")).text()).toBe("console.log('old build');");
  const firstScript = /src="(\/assets\/index-[\w-]+\.js)"/.exec(
    await (await app.request("/")).text(),
  )?.[1] as string;
  expect(firstScript).toBeString();

  // The next one runs while requests keep coming, from pages of the first build among them.
  const statuses = new Map<string, number[]>();
  let building = true;
  const load = (async () => {
    while (building) {
      for (const path of ["/", "/orders/42", firstScript]) {
        const response = await app.request(path);
        await response.arrayBuffer();
        statuses.set(path, [...(statuses.get(path) ?? []), response.status]);
      }
      await Bun.sleep(5);
    }
  })();
  const build = Bun.spawn(["bun", "run", "ui/build.ts", "--into", root], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [exitCode, output] = await Promise.all([build.exited, new Response(build.stdout).text()]);
  building = false;
  await load;

  expect({ exitCode, output }).toMatchObject({ exitCode: 0 });
  for (const [path, seen] of statuses) {
    expect({ path, failures: seen.filter((status) => status !== 200) }).toEqual({ path, failures: [] });
  }
  expect([...statuses.values()].flat().length).toBeGreaterThan(30);
  // The new page loads its script; a page opened before the switch still gets the previous build's.
  const index = await (await app.request("/")).text();
  const script = /src="(\/assets\/index-[\w-]+\.js)"/.exec(index)?.[1] as string;
  expect((await app.request(script)).status).toBe(200);
  expect((await app.request(firstScript)).status).toBe(200);
  // What the first build had only carried over is not carried again.
  expect((await app.request("/assets/old-3f9a1c.js")).status).toBe(404);
  const budget = Bun.spawnSync(["bun", "run", "ui/check-budget.ts", "--dist", join(root, "dist")], {
    cwd: ROOT,
  });
  expect(budget.exitCode).toBe(0);
  expect(budget.stdout.toString()).not.toContain("old-3f9a1c.js");
  expect(readFileSync(join(root, "dist", "index.html"), "utf8")).not.toContain("old-3f9a1c");
}, 60_000);
