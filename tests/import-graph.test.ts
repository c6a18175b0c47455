import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Glob } from "bun";

const ROOT = join(import.meta.dirname, "..");
const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\b[^"'`]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

/** The files of this repository that `file` imports directly (relative imports, static or dynamic). */
function importsOf(file: string): string[] {
  if (!/\.(ts|tsx)$/.test(file)) return [];
  const targets: string[] = [];
  for (const match of readFileSync(file, "utf8").matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (!specifier?.startsWith(".")) continue;
    const target = resolve(dirname(file), specifier);
    if (!existsSync(target))
      throw new Error(`${relative(ROOT, file)} imports ${specifier}, which does not exist`);
    targets.push(target);
  }
  return targets;
}

/** Every file of this repository that `entry` reaches through relative imports. */
function reachedFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const target of importsOf(file)) visit(target);
  };
  visit(join(ROOT, entry));
  return seen;
}

/** The production files of a folder and what each imports directly, as paths from the repository's root. */
function directImports(pattern: string): { file: string; imports: string[] }[] {
  return [...new Glob(pattern).scanSync(ROOT)]
    .filter((file) => !/\.test\.tsx?$/.test(file))
    .sort()
    .map((file) => ({ file, imports: importsOf(join(ROOT, file)).map((target) => relative(ROOT, target)) }));
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

test("services speak in domain errors: no service imports the HTTP layer", () => {
  const services = directImports("server/*/service.ts");
  expect(services.length).toBeGreaterThanOrEqual(6);
  const offenders = services.filter(({ imports }) =>
    imports.some((target) => target.startsWith("server/http/")),
  );
  expect(offenders).toEqual([]);
});

test("the HTTP layer does not depend on a feature such as auth", () => {
  const http = directImports("server/http/*.ts");
  expect(http.length).toBeGreaterThan(5);
  const features = /^server\/(admin|auth|crm|orders|payments|products|refunds|reports)\//;
  const offenders = http.filter(({ imports }) => imports.some((target) => features.test(target)));
  expect(offenders).toEqual([]);
});

test("the data layer stands alone: nothing in db/ imports the server", () => {
  const data = directImports("db/**/*.ts");
  expect(data.length).toBeGreaterThan(10);
  const offenders = data.filter(({ imports }) => imports.some((target) => target.startsWith("server/")));
  expect(offenders).toEqual([]);
});
