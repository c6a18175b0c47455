import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium: the end-to-end tests never download a browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** The end-to-end tests skip without it on a developer's machine, and fail in CI, whose run installs it. */
export const browserMissing = !existsSync(CHROMIUM);
if (browserMissing && process.env.CI === "true") {
  throw new Error(`CI=true but ${CHROMIUM} is missing: apt-get install -y chromium`);
}

/** The built customer site (ui/dist), built first when missing. */
export function ensureBuiltSite(): void {
  if (existsSync(join(import.meta.dirname, "dist", "index.html"))) return;
  const build = Bun.spawnSync(["bun", "run", "build:ui"], { stdout: "inherit", stderr: "inherit" });
  if (build.exitCode !== 0) throw new Error("bun run build:ui failed");
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--no-first-run",
    ],
  });
}
