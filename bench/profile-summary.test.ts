import { describe, expect, test } from "bun:test";
import { formatProfileSummary, summarizeProfile } from "./profile-summary.ts";

const PROFILE = `# CPU Profile

## Hot Functions (Self Time)

| 60.0% | 4.00s | 60.0% | 4.00s | \`isRecursive\` | \`/app/node_modules/zod/v4/core/memoizer.js:61\` |

## Function Details

### \`writeBuffered\`
\`[native code]\` | Self: 20.0% (1.00s) | Total: 20.0% (1.00s) | Samples: 50

**Called by:**
- \`_write\` (50)

### \`isRecursive\`
\`/app/node_modules/zod/v4/core/memoizer.js:61\` | Self: 60.0% (4.00s) | Total: 60.0% (4.00s) | Samples: 1

### \`mergeQueries\`
\`/app/node_modules/drizzle-orm/sql/sql.js:18\` | Self: 5.0% (0.30s) | Total: 5.0% (0.30s) | Samples: 30

### \`escapeName\`
\`/app/node_modules/drizzle-orm/mysql-core/dialect.js:59\` | Self: 1.0% (0.10s) | Total: 1.0% (0.10s) | Samples: 9

### \`openapi\`
\`/app/node_modules/@hono/zod-openapi/dist/index.js:3\` | Self: 1.0% (0.10s) | Total: 1.0% (0.10s) | Samples: 4

### \`presentOrder\`
\`/app/server/orders/presenter.ts:12\` | Self: 1.0% (0.10s) | Total: 1.0% (0.10s) | Samples: 5

### \`emit\`
\`node:events:86\` | Self: 0.0% (0us) | Total: 1.0% (0.10s) | Samples: 1

### \`idle\`
\`/app/server/main.ts:1\` | Self: 0.0% (0us) | Total: 0.0% (0us) | Samples: 0
`;

describe("CPU profile summary", () => {
  const summary = summarizeProfile(PROFILE, "/app");

  test("weighs functions by samples, not by the self time an idle gap inflates", () => {
    expect(summary.samples).toBe(100);
    expect(summary.functions.map((entry) => [entry.name, entry.samples])).toEqual([
      ["writeBuffered", 50],
      ["mergeQueries", 30],
      ["escapeName", 9],
      ["presentOrder", 5],
      ["openapi", 4],
      ["isRecursive", 1],
      ["emit", 1],
    ]);
  });

  test("sums samples per package (scoped ones whole), per app file, and for native and runtime code", () => {
    expect(summary.owners).toEqual([
      { owner: "native", samples: 50 },
      { owner: "drizzle-orm", samples: 39 },
      { owner: "server/orders/presenter.ts", samples: 5 },
      { owner: "@hono/zod-openapi", samples: 4 },
      { owner: "zod", samples: 1 },
      { owner: "runtime", samples: 1 },
      { owner: "server/main.ts", samples: 0 },
    ]);
  });

  test("prints shares of all samples, paths relative to the project", () => {
    const text = formatProfileSummary(summary, 2);
    expect(text).toContain("| native | 50.0 % |");
    expect(text).toContain("| drizzle-orm | 39.0 % |");
    expect(text).toContain("| `mergeQueries` | node_modules/drizzle-orm/sql/sql.js:18 | 30.0 % |");
    expect(text).not.toContain("escapeName");
  });

  test("a file without function details sums to nothing rather than failing", () => {
    expect(summarizeProfile("# CPU Profile\n", "/app")).toEqual({ samples: 0, functions: [], owners: [] });
  });
});
