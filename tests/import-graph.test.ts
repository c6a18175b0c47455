import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\b[^"'`]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

/** Every file of this repository that `entry` reaches through relative imports, static or dynamic. */
function reachedFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!/\.(ts|tsx)$/.test(file)) return;
    for (const match of readFileSync(file, "utf8").matchAll(SPECIFIER)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      if (!specifier?.startsWith(".")) continue;
      const target = resolve(dirname(file), specifier);
      if (!existsSync(target))
        throw new Error(`${relative(ROOT, file)} imports ${specifier}, which does not exist`);
      visit(target);
    }
  };
  visit(join(ROOT, entry));
  return seen;
}

test("the production entry points reach no development or test code", () => {
  for (const entry of ["server/main.ts", "server/main.node.ts"]) {
    const reached = [...reachedFrom(entry)].map((file) => relative(ROOT, file));
    expect(reached.length).toBeGreaterThan(40);
    expect(reached).toContain("server/app.ts");
    const forbidden = reached.filter((file) => /^(dev|tests)\//.test(file) || /\.test\.tsx?$/.test(file));
    expect({ entry, forbidden }).toEqual({ entry, forbidden: [] });
  }
});

test("the check itself sees development code when an entry point does import it", () => {
  const reached = [...reachedFrom("dev/main.ts")].map((file) => relative(ROOT, file));
  expect(reached).toContain("dev/stripe-simulator/server.ts");
  expect(reached).toContain("dev/crm-stand-in.ts");
});
