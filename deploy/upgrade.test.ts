import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateDatabase } from "../db/migrate-store.ts";
import { ROOT } from "./harness.ts";

/** bun run deploy:upgrade in a clone of this repository, on an SQLite shop, up to the step that fails. */
describe("bun run deploy:upgrade", () => {
  const dir = mkdtempSync(join(tmpdir(), "upgrade-test-"));
  const clone = join(dir, "orders");
  const backups = join(dir, "backups");
  const envFile = join(dir, "orders.env");
  let head = "";

  beforeAll(async () => {
    const cloned = Bun.spawnSync(["git", "clone", "--quiet", ROOT, clone]);
    if (cloned.exitCode !== 0) throw new Error(`git clone: ${cloned.stderr}`);
    head = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: clone }).stdout.toString().trim();
    const databaseUrl = `file:${join(dir, "app.db")}`;
    await migrateDatabase(databaseUrl);
    mkdirSync(join(dir, "media", "products"), { recursive: true });
    writeFileSync(join(dir, "media", "products", "kettle-320.webp"), "picture");
    writeFileSync(envFile, `DATABASE_URL=${databaseUrl}\nMEDIA_DIR=${join(dir, "media")}\n`);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const upgrade = async (tag: string) => {
    const child = Bun.spawn(["bun", "run", "deploy/upgrade.ts", tag], {
      cwd: clone,
      env: { ...process.env, ORDERS_ENV_FILE: envFile, ORDERS_BACKUP_DIR: backups },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [code, stdout, stderr] = await Promise.all([
      child.exited,
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
    ]);
    return { code, stdout, stderr };
  };

  test("a checkout with local changes is refused before anything is done", async () => {
    writeFileSync(join(clone, "README.md"), "changed by hand\n");
    const refused = await upgrade("v9.9.9");
    Bun.spawnSync(["git", "checkout", "--quiet", "README.md"], { cwd: clone });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("has local changes");
    expect(refused.stderr).toContain("README.md");
    expect(existsSync(backups)).toBe(false);
  }, 30_000);

  test("a tag that cannot be fetched stops the upgrade after the backup: nothing after it runs, the checkout stays", async () => {
    const failed = await upgrade("v-no-such-tag");
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("==> 1/6 back up the database and the pictures");
    expect(failed.stdout).toContain("==> 2/6 fetch and check out v-no-such-tag");
    expect(failed.stdout).not.toContain("==> 3/6");
    expect(failed.stderr).toContain("step 2 (fetch and check out v-no-such-tag) failed");
    expect(failed.stderr).toContain(`No step after it ran. The running instances still run ${head}`);
    expect(
      Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: clone }).stdout.toString().trim(),
    ).toBe(head);

    const [copy] = readdirSync(backups).filter((name) => /^app-.*-before-v-no-such-tag\.db$/.test(name));
    expect(copy).toBeDefined();
    const restored = new Database(join(backups, copy as string), { readonly: true });
    const tables = restored.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    restored.close();
    expect(tables.map((table) => table.name)).toContain("orders");
    expect(existsSync(join(backups, "media", "products", "kettle-320.webp"))).toBe(true);
  }, 30_000);

  test("without a tag it says how to run it", async () => {
    const usage = await upgrade("");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("usage: bun run deploy:upgrade <tag>");
  });
});
