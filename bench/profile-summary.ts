/**
 * Sums a Bun `--cpu-prof-md` profile by samples. Its "Self" times are not used: the sampler hands the whole
 * idle gap before a busy moment to one sample, so a function can show seconds of self time from one sample.
 */
export interface ProfileSummary {
  samples: number;
  functions: { name: string; location: string; samples: number }[];
  /** Samples per package (`drizzle-orm`, `@hono/zod-openapi`), per app file, or `native` for Bun's own code. */
  owners: { owner: string; samples: number }[];
}

const FUNCTION_DETAIL = /^### `(.*)`\n`(.*)` \| Self: .* \| Samples: (\d+)$/gm;

export function summarizeProfile(markdown: string, root: string): ProfileSummary {
  const details = markdown.slice(markdown.indexOf("## Function Details"));
  const functions = [...details.matchAll(FUNCTION_DETAIL)].map(([, name, location, samples]) => ({
    name: name as string,
    location: (location as string).replace(`${root}/`, ""),
    samples: Number(samples),
  }));
  const byOwner = new Map<string, number>();
  for (const entry of functions) {
    const owner = ownerOf(entry.location);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + entry.samples);
  }
  return {
    samples: functions.reduce((sum, entry) => sum + entry.samples, 0),
    functions: functions.filter((entry) => entry.samples > 0).sort((a, b) => b.samples - a.samples),
    owners: [...byOwner]
      .map(([owner, samples]) => ({ owner, samples }))
      .sort((a, b) => b.samples - a.samples),
  };
}

function ownerOf(location: string): string {
  if (location === "[native code]") return "native";
  const packagePath = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(location);
  if (packagePath) return packagePath[1] as string;
  const file = location.replace(/:\d+$/, "");
  return /^(node|internal|bun):/.test(file) ? "runtime" : file;
}

export function formatProfileSummary(summary: ProfileSummary, top = 12): string {
  const share = (samples: number) => `${((100 * samples) / Math.max(1, summary.samples)).toFixed(1)} %`;
  return [
    `${summary.samples} samples`,
    "",
    "| by owner | share |",
    "| --- | --- |",
    ...summary.owners.slice(0, top).map((entry) => `| ${entry.owner} | ${share(entry.samples)} |`),
    "",
    "| function | where | share |",
    "| --- | --- | --- |",
    ...summary.functions
      .slice(0, top)
      .map((entry) => `| \`${entry.name}\` | ${entry.location} | ${share(entry.samples)} |`),
  ].join("\n");
}
