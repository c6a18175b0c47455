import { Database } from "bun:sqlite";
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { onThisHost, rollingRestart, run } from "./rolling-restart.ts";

/**
 * `bun run deploy:upgrade <tag>`, as root in /opt/orders: docs/production.md's upgrade, each step only after the one
 * before it succeeded. 1 back up the database and the pictures, 2 fetch and check out the tag, 3 install, 4 build the
 * site, 5 migrate (the running instances keep working: "add before use, remove after"), 6 restart the instances one
 * at a time out of nginx's rotation (deploy/rolling-restart.ts).
 *
 * ORDERS_ENV_FILE (/etc/orders/orders.env), ORDERS_BACKUP_DIR (/var/backups/orders) and ORDERS_USER (orders) say
 * where things are on another layout.
 */
const ENV_FILE = process.env.ORDERS_ENV_FILE ?? "/etc/orders/orders.env";
const BACKUP_DIR = process.env.ORDERS_BACKUP_DIR ?? "/var/backups/orders";
const USER = process.env.ORDERS_USER ?? "orders";

/** The KEY=value lines of the environment file, as systemd reads them. */
function readEnvFile(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const trimmed = line.trim();
    const at = trimmed.indexOf("=");
    if (at > 0 && !/^[#;]/.test(trimmed)) values[trimmed.slice(0, at)] = trimmed.slice(at + 1).trim();
  }
  return values;
}

async function output(argv: string[], cwd: string): Promise<string> {
  const child = Bun.spawn(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  if (code !== 0) throw new Error(`${argv.join(" ")} exited with ${code}: ${stderr.trim()}`);
  return stdout.trim();
}

/** A consistent copy of the database and the pictures, named by the time and the tag being installed. */
async function backUp(env: Record<string, string>, tag: string): Promise<void> {
  mkdirSync(BACKUP_DIR, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
  const databaseUrl = env.DATABASE_URL ?? "";
  if (databaseUrl.startsWith("mysql://")) {
    const database = decodeURIComponent(new URL(databaseUrl.split(",")[0] as string).pathname.slice(1));
    const file = join(BACKUP_DIR, `orders-${stamp}-before-${tag}.sql.gz`);
    // As root over the local socket, like docs/production.md's daily backup.
    const dump = Bun.spawn(
      ["mariadb-dump", "--single-transaction", "--hex-blob", "--default-character-set=utf8mb4", database],
      { stdout: "pipe", stderr: "pipe" },
    );
    const gzip = Bun.spawn(["gzip"], { stdin: dump.stdout, stdout: Bun.file(file) });
    const [dumped, zipped, stderr] = await Promise.all([
      dump.exited,
      gzip.exited,
      new Response(dump.stderr).text(),
    ]);
    if (dumped !== 0 || zipped !== 0) throw new Error(`mariadb-dump ${database} failed: ${stderr.trim()}`);
    console.log(`backup: ${file}`);
  } else if (databaseUrl.startsWith("file:")) {
    const file = join(BACKUP_DIR, `app-${stamp}-before-${tag}.db`);
    const database = new Database(databaseUrl.slice("file:".length), { readonly: true });
    database.run("VACUUM INTO ?", [file]);
    database.close();
    console.log(`backup: ${file}`);
  } else {
    throw new Error(`DATABASE_URL in ${ENV_FILE} is neither mysql:// nor file:`);
  }
  if (env.MEDIA_DIR) await run(["cp", "-a", `${resolve(env.MEDIA_DIR)}/.`, join(BACKUP_DIR, "media")]);
}

async function upgrade(tag: string, dir: string): Promise<void> {
  const env = readEnvFile(ENV_FILE);
  const before = await output(["git", "rev-parse", "--short", "HEAD"], dir);
  const changed = await output(["git", "status", "--porcelain", "--untracked-files=no"], dir);
  if (changed)
    throw new Error(`${dir} has local changes (git status); commit or drop them first:\n${changed}`);
  const steps: [string, () => Promise<void>][] = [
    ["back up the database and the pictures", () => backUp(env, tag)],
    [
      `fetch and check out ${tag}`,
      async () => {
        await run(["git", "fetch", "--tags", "--quiet"], { cwd: dir });
        await run(["git", "-c", "advice.detachedHead=false", "checkout", "--quiet", tag], { cwd: dir });
      },
    ],
    ["install the dependencies", () => run(["bun", "install", "--frozen-lockfile"], { cwd: dir })],
    ["build the site", () => run(["bun", "run", "build:ui"], { cwd: dir })],
    [
      "migrate the database",
      () =>
        run(["runuser", "-u", USER, "--", "bun", `--env-file=${ENV_FILE}`, "run", "db:migrate"], {
          cwd: dir,
        }),
    ],
    ["restart the instances one at a time", () => rollingRestart(onThisHost)],
  ];
  for (const [index, [name, step]] of steps.entries()) {
    console.log(`==> ${index + 1}/${steps.length} ${name}`);
    try {
      await step();
    } catch (error) {
      const rollBack =
        index >= 1 && index <= 4
          ? ` The running instances still run ${before}; to go back: git checkout ${before} && bun install --frozen-lockfile.`
          : "";
      throw new Error(
        `step ${index + 1} (${name}) failed: ${(error as Error).message}\nNo step after it ran.${rollBack}`,
      );
    }
  }
  console.log(`upgraded from ${before} to ${tag}`);
}

if (import.meta.main) {
  const [tag] = process.argv.slice(2);
  if (!tag || tag.startsWith("-")) {
    console.error(
      "usage: bun run deploy:upgrade <tag>   (as root, in /opt/orders; docs/production.md, Upgrades)",
    );
    process.exit(2);
  }
  await upgrade(tag, process.cwd()).catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
