import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

/** Fails when the production build's gzipped JavaScript or CSS is over budget. */
const BUDGET_BYTES = { js: 25 * 1024, css: 10 * 1024 };
const dist = join(import.meta.dirname, "dist", "assets");
const totals = { js: 0, css: 0 };
for (const file of readdirSync(dist)) {
  const kind = file.endsWith(".js") ? "js" : file.endsWith(".css") ? "css" : undefined;
  if (!kind) continue;
  const size = gzipSync(readFileSync(join(dist, file))).length;
  totals[kind] += size;
  console.log(`${file}: ${(size / 1024).toFixed(1)} KB gzipped`);
}
let over = false;
for (const kind of ["js", "css"] as const) {
  const ok = totals[kind] <= BUDGET_BYTES[kind];
  over ||= !ok;
  console.log(
    `${kind.toUpperCase()} total ${(totals[kind] / 1024).toFixed(1)} KB of ${BUDGET_BYTES[kind] / 1024} KB: ${ok ? "ok" : "OVER BUDGET"}`,
  );
}
process.exit(over ? 1 : 0);
