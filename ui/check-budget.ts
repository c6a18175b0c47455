import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

/**
 * Prints the gzipped size of every .js and .css file of the build in ui/dist (those its Vite manifest names: the
 * previous build's assets kept beside them do not count) and fails when either total is over budget.
 */
const BUDGET_BYTES = { js: 25 * 1024, css: 10 * 1024 };
const { values } = parseArgs({ options: { dist: { type: "string" } } });
const dist = resolve(values.dist ?? join(import.meta.dirname, "dist"));
const manifestPath = join(dist, ".vite", "manifest.json");
if (!existsSync(join(dist, "index.html")) || !existsSync(manifestPath)) {
  console.error(`${dist} has no build: run \`bun run build:ui\` first.`);
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<
  string,
  { file: string; css?: string[] }
>;
const files = [
  ...new Set(Object.values(manifest).flatMap((entry) => [entry.file, ...(entry.css ?? [])])),
].sort();
const totals = { js: 0, css: 0 };
for (const file of files) {
  const kind = file.endsWith(".js") ? "js" : file.endsWith(".css") ? "css" : undefined;
  if (!kind) continue;
  const size = gzipSync(readFileSync(join(dist, file))).length;
  totals[kind] += size;
  console.log(`${file}: ${(size / 1024).toFixed(1)} KB gzipped`);
}
let over = totals.js === 0;
if (over) console.error("The build has no JavaScript: is ui/dist a complete build?");
for (const kind of ["js", "css"] as const) {
  const ok = totals[kind] <= BUDGET_BYTES[kind];
  over ||= !ok;
  console.log(
    `${kind.toUpperCase()} total ${(totals[kind] / 1024).toFixed(1)} KB of ${BUDGET_BYTES[kind] / 1024} KB: ${ok ? "ok" : "OVER BUDGET"}`,
  );
}
process.exit(over ? 1 : 0);
