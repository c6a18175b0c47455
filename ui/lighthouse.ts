import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The categories a page must score well in, as Lighthouse names them. */
export const LIGHTHOUSE_CATEGORIES = ["performance", "accessibility", "best-practices", "seo"] as const;

export interface LighthouseResult {
  url: string;
  /** Each category's score, 0 to 100. */
  scores: Record<(typeof LIGHTHOUSE_CATEGORIES)[number], number>;
  cumulativeLayoutShift: number;
  /** The audits that cost points: "category/audit (score, shown value)". */
  shortfalls: string[];
}

interface LighthouseReport {
  categories: Record<string, { score: number; auditRefs: { id: string; weight: number }[] }>;
  audits: Record<string, { score: number | null; displayValue?: string; numericValue?: number }>;
}

/** How often a run Lighthouse itself asks to repeat ("Please run Lighthouse again", e.g. NO_NAVSTART) is tried. */
const RUNS = 3;

/**
 * Runs Lighthouse 12 (mobile, its default) on `url` with Debian's Chromium, under Node as Lighthouse requires, and
 * reads its JSON report. A run whose trace Lighthouse could not record is run again; any other failure is thrown.
 */
export async function runLighthouse(url: string, chromiumPath: string): Promise<LighthouseResult> {
  for (let run = 1; ; run++) {
    try {
      return await runLighthouseOnce(url, chromiumPath);
    } catch (error) {
      if (run >= RUNS || !(error instanceof Error) || !error.message.includes("Please run Lighthouse again"))
        throw error;
    }
  }
}

async function runLighthouseOnce(url: string, chromiumPath: string): Promise<LighthouseResult> {
  const dir = mkdtempSync(join(tmpdir(), "lighthouse-"));
  try {
    const output = join(dir, "report.json");
    const run = Bun.spawn(
      [
        "node",
        join(import.meta.dirname, "..", "node_modules", "lighthouse", "cli", "index.js"),
        url,
        "--quiet",
        "--output=json",
        `--output-path=${output}`,
        `--only-categories=${LIGHTHOUSE_CATEGORIES.join(",")}`,
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
      ],
      { env: { ...process.env, CHROME_PATH: chromiumPath }, stdout: "pipe", stderr: "pipe" },
    );
    if ((await run.exited) !== 0) {
      throw new Error(`lighthouse ${url} failed: ${await new Response(run.stderr).text()}`);
    }
    const report = JSON.parse(readFileSync(output, "utf8")) as LighthouseReport;
    const shortfalls: string[] = [];
    for (const [category, { auditRefs }] of Object.entries(report.categories)) {
      for (const { id, weight } of auditRefs) {
        const audit = report.audits[id];
        if (weight > 0 && audit && audit.score !== null && audit.score < 1) {
          shortfalls.push(`${category}/${id} (${audit.score}, ${audit.displayValue ?? ""})`);
        }
      }
    }
    return {
      url,
      scores: Object.fromEntries(
        LIGHTHOUSE_CATEGORIES.map((category) => [
          category,
          Math.round((report.categories[category]?.score ?? 0) * 100),
        ]),
      ) as LighthouseResult["scores"],
      cumulativeLayoutShift: report.audits["cumulative-layout-shift"]?.numericValue ?? Number.NaN,
      shortfalls,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
