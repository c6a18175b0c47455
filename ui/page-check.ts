import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Page } from "playwright-core";

/** The widths every page is looked at: a phone and a laptop. */
export const VIEWPORTS = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
] as const;

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface PageProblems {
  page: string;
  width: number;
  /** How far the page scrolls sideways (0 when it fits). */
  sidewaysScroll: number;
  /** Boxes whose content is wider than the box and so scrolls sideways inside it (a table in a scroller). */
  cutOff: string[];
  /** axe-core's serious and critical violations: rule id and how many elements. */
  accessibility: string[];
}

/**
 * Looks at the page as a person would at both widths: it must not scroll sideways, nothing may be cut off inside
 * a box that scrolls sideways (text shortened with an ellipsis is fine; the admin's wide tables may scroll in their
 * own box, `sidewaysScrollers`), and axe-core must find no serious or critical violation. Writes a screenshot of each width as `<folder>/<name>-<width>.png`.
 */
export async function checkPage(
  page: Page,
  name: string,
  folder: string,
  options: { sidewaysScrollers?: boolean } = {},
): Promise<PageProblems[]> {
  const found: PageProblems[] = [];
  const original = page.viewportSize();
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(100);
    const layout = await page.evaluate(() => {
      const cutOff: string[] = [];
      for (const element of document.querySelectorAll<HTMLElement>("body *")) {
        const style = getComputedStyle(element);
        const scrolls = style.overflowX === "auto" || style.overflowX === "scroll";
        if (scrolls && element.scrollWidth > element.clientWidth + 1) {
          cutOff.push(`${element.tagName.toLowerCase()}.${element.className || "(no class)"}`);
        }
      }
      return { sidewaysScroll: document.documentElement.scrollWidth - window.innerWidth, cutOff };
    });
    // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not cover.
    if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run: (
              context: Document,
              options: object,
            ) => Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }>;
          };
        }
      ).axe;
      const result = await axe.run(document, { resultTypes: ["violations"] });
      return result.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        nodes: violation.nodes.length,
      }));
    });
    await page.screenshot({ path: join(folder, `${name}-${viewport.width}.png`), fullPage: true });
    found.push({
      page: name,
      width: viewport.width,
      sidewaysScroll: Math.max(0, layout.sidewaysScroll),
      cutOff: options.sidewaysScrollers ? [] : layout.cutOff,
      accessibility: violations
        .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
        .map((violation) => `${violation.id} (${violation.impact}, ${violation.nodes} elements)`),
    });
  }
  if (original) await page.setViewportSize(original);
  return found;
}
