import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

/**
 * `bun run build:ui`: builds the customer site into a new folder under ui/builds/, carries the previous build's
 * hashed assets over (a page opened before the switch still loads its scripts), then points ui/dist at it with one
 * rename, which is atomic: nginx and the app serve the old build or the new one, never half of either. The three
 * newest builds are kept, so a rollback is a symlink away (docs/production.md, "Upgrades").
 */
const KEEP_BUILDS = 3;
const { values } = parseArgs({ options: { into: { type: "string" } } });
const root = resolve(values.into ?? import.meta.dirname);
const dist = join(root, "dist");
const builds = join(root, "builds");
mkdirSync(builds, { recursive: true });

const stamp = () => new Date().toISOString().replace(/[:.]/g, "-");
// A ui/dist left by an older version is a plain folder: it becomes a build like the others (names sort by time).
const current = existsSync(dist) ? lstatSync(dist) : undefined;
if (current && !current.isSymbolicLink()) renameSync(dist, join(builds, `${stamp()}-before-builds`));
const previous = existsSync(dist)
  ? resolve(root, readlinkSync(dist))
  : readdirSync(builds)
      .sort()
      .map((name) => join(builds, name))
      .at(-1);

await Bun.sleep(2);
const name = stamp();
const target = join(builds, name);
const vite = Bun.spawnSync(
  ["bun", "x", "vite", "build", import.meta.dirname, "--outDir", target, "--emptyOutDir"],
  { stdout: "inherit", stderr: "inherit" },
);
if (vite.exitCode !== 0) {
  rmSync(target, { recursive: true, force: true });
  console.error("vite build failed: ui/dist still serves the previous build");
  process.exit(1);
}

// The previous build's own files (its Vite manifest names them; a build from before manifests: all its assets),
// not what it carried over itself, so old assets do not pile up.
if (previous && existsSync(join(previous, "assets"))) {
  const manifest = join(previous, ".vite", "manifest.json");
  const own = existsSync(manifest)
    ? Object.values(
        JSON.parse(readFileSync(manifest, "utf8")) as Record<string, { file: string; css?: string[] }>,
      ).flatMap((entry) => [entry.file, ...(entry.css ?? [])])
    : readdirSync(join(previous, "assets")).map((file) => `assets/${file}`);
  for (const file of own) {
    if (!existsSync(join(target, file))) cpSync(join(previous, file), join(target, file));
  }
}

const next = join(root, "dist.next");
rmSync(next, { force: true });
symlinkSync(join("builds", name), next);
renameSync(next, dist);
console.log(`ui/dist now serves builds/${name}${previous ? `, with the previous build's assets kept` : ""}`);

for (const old of readdirSync(builds).sort().slice(0, -KEEP_BUILDS)) {
  rmSync(join(builds, old), { recursive: true, force: true });
}
