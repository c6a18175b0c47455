import type { Collections } from "./gc-log.ts";
import type { Usage } from "./usage.ts";

/** One scenario's measurement (`bun run bench`). */
export interface Row extends Usage {
  /** With --gc, on the one-worker server: the collections it started during the scenario. */
  collections?: Collections;
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  unit: string;
  /** For a scenario measured in several interleaved rounds: each round's rate, in the order they ran. */
  rounds?: number[];
  /** The load generator's CPU (autocannon, on the same machine), as a share of one core; not for the purchases. */
  generatorCpuPercent?: number;
}

/**
 * A scenario measured in several rounds, as one row: the round of the median rate (its latency, memory and CPU
 * belong together), with every round's rate, and the errors and non-2xx answers of all of them.
 */
export function medianRound(rounds: Row[]): Row {
  const first = rounds[0];
  if (!first) throw new Error("medianRound needs at least one round");
  if (rounds.length === 1) return first;
  const byRate = [...rounds].sort((a, b) => a.rps - b.rps);
  const median = byRate[Math.floor((byRate.length - 1) / 2)] as Row;
  return {
    ...median,
    errors: rounds.reduce((sum, row) => sum + row.errors, 0),
    non2xx: rounds.reduce((sum, row) => sum + row.non2xx, 0),
    rounds: rounds.map((row) => row.rps),
  };
}

/** What the targets read besides the rows. */
export interface TargetInputs {
  rows: Row[];
  statementsPerPurchase: Map<string, number>;
  deepPage: number;
  cores: number;
  /** The profiler's own memory would count against the server. */
  profiled: boolean;
}

/** A target's name, and whether this run met it (undefined: not measured in this run). */
export type Target = [string, boolean | undefined];

/** Server CPU a request costs, in ms: the share of a core it used while the scenario ran, over the requests a second. */
export const cpuMs = (row: Row) => (row.serverCpuPercent * 10) / row.rps;

export function benchTargets({
  rows,
  statementsPerPurchase,
  deepPage,
  cores,
  profiled,
}: TargetInputs): Target[] {
  const find = (scenario: string) => rows.find((row) => row.scenario === scenario);
  /** Undefined (not measured) when either scenario did not run in this run. */
  const check = (
    first: Row | undefined,
    second: Row | undefined,
    holds: (first: Row, second: Row) => boolean,
  ) => (first && second ? holds(first, second) : undefined);
  const pageOne = find("products page 1");
  /** A report's two rows, at the seeded size and after the growth, in that order. */
  const flat = (name: string): Target => {
    const [small, big] = rows.filter((row) => row.scenario.startsWith(`${name} (`));
    return [
      `${name}: p50 at the big table <= 2 x at the small one`,
      check(small, big, (first, second) => second.p50 <= 2 * Math.max(1, first.p50)),
    ];
  };
  const cpuPerRequest = (scenario: string, limitMs: number): Target => {
    const row = find(scenario);
    return [
      `${scenario}: server CPU <= ${limitMs} ms a request (measured ${row ? cpuMs(row).toFixed(2) : "n/a"})`,
      row ? cpuMs(row) <= limitMs : undefined,
    ];
  };
  const statementTarget = (scenario: string, limit: number): Target => {
    const measured = statementsPerPurchase.get(scenario);
    return [
      `${scenario}: <= ${limit} app statements a purchase (measured ${measured?.toFixed(2) ?? "n/a"})`,
      measured === undefined ? undefined : measured <= limit,
    ];
  };
  const manyCores = cores >= 4;
  const ownOrder = find("GET own order");
  const ratio = (first: Row | undefined, second: Row | undefined) =>
    first && second ? `; measured ${(first.rps / second.rps).toFixed(2)}` : "";
  return [
    // The catalog is answered from memory (server/products/catalog.ts); the baseline asks the database every time.
    [
      "products page 1 >= 3 x raw baseline req/s",
      check(pageOne, find("raw baseline: products page 1"), (page, raw) => page.rps >= 3 * raw.rps),
    ],
    [
      `products page ${deepPage} >= 3 x raw baseline req/s`,
      check(
        find(`products page ${deepPage}`),
        find("raw baseline: products page 1"),
        (page, raw) => page.rps >= 3 * raw.rps,
      ),
    ],
    [
      "deep page p50 <= 1.5 x page 1 p50",
      check(
        pageOne,
        find(`products page ${deepPage}`),
        (page, deep) => deep.p50 <= 1.5 * Math.max(1, page.p50),
      ),
    ],
    // 7 until the payment and its CRM event became one transaction (BEGIN, UPDATE, INSERT, COMMIT: 3 more,
    // docs/decisions/010-crm-outbox.md); 10 until baskets (the order, its lines and the hold in one transaction,
    // the payment reading its lines with their stock: 5 more, docs/decisions/013-baskets-and-stock.md).
    statementTarget("whole purchase", 15.5),
    [
      "whole purchase, stocked product: server CPU <= 1.15 x whole purchase",
      check(
        find("whole purchase"),
        find("whole purchase, stocked product"),
        (plain, stocked) => cpuMs(stocked) <= 1.15 * cpuMs(plain),
      ),
    ],
    cpuPerRequest("whole purchase", 2.0),
    cpuPerRequest("GET own order", 0.15),
    [
      `GET own order >= 0.8 x its raw baseline req/s (one process each, medians of interleaved rounds${ratio(ownOrder, find("raw baseline: GET own order"))})`,
      check(ownOrder, find("raw baseline: GET own order"), (app, raw) => app.rps >= 0.8 * raw.rps),
    ],
    [
      `GET own order, WORKERS=2 >= ${manyCores ? "1.6" : "1.15"} x one worker req/s (${cores} cores${manyCores ? "" : ", load generator and MariaDB on them too"}${ratio(find("GET own order, WORKERS=2"), ownOrder)})`,
      check(
        ownOrder,
        find("GET own order, WORKERS=2"),
        (one, two) => two.rps >= (manyCores ? 1.6 : 1.15) * one.rps,
      ),
    ],
    [
      "GET own order, WORKERS=2: both workers' RSS < 350 MB",
      check(find("GET own order, WORKERS=2"), find("GET own order, WORKERS=2"), (two) => two.peakRssMb < 350),
    ],
    flat("report summary"),
    flat("sales report, 365 days by day"),
    flat("sales report, 36 months by month"),
    flat("products report, 90 days"),
    ["no errors and no non-2xx", rows.every((row) => row.errors === 0 && row.non2xx === 0)],
    [
      "server RSS under 200 MB (one worker)",
      profiled
        ? undefined
        : rows.filter((row) => !row.scenario.includes("WORKERS=2")).every((row) => row.peakRssMb < 200),
    ],
  ];
}

/** µs of CPU a request cost a process that used `percent` of a core while the scenario ran at `row.rps`. */
const perRequestUs = (row: Row, percent: number) => (percent * 10_000) / row.rps;

/**
 * On fewer than 4 cores the server shares them with MariaDB and the load generator, and the two own-order lines
 * pull apart: `>= 0.8 x raw` needs one worker fast, `WORKERS=2 >= 1.15 x` needs one worker held back by its own
 * core while the machine still has room. Both bound the one-worker rate, 0.8 x raw <= one <= ceiling / 1.15, where
 * the ceiling is what the cores allow two workers at what a request cost the machine with them (servers, MariaDB,
 * load generator). Says where those bounds fell in this run, or undefined when it cannot (4+ cores, rows missing).
 */
export function sharedCoresNote(rows: Row[], cores: number): string | undefined {
  const find = (scenario: string) => rows.find((row) => row.scenario === scenario);
  const [raw, two] = [find("raw baseline: GET own order"), find("GET own order, WORKERS=2")];
  if (
    cores >= 4 ||
    !raw ||
    !two ||
    two.databaseCpuPercent === undefined ||
    two.generatorCpuPercent === undefined
  )
    return undefined;
  const [servers, database, generator] = [
    two.serverCpuPercent,
    two.databaseCpuPercent,
    two.generatorCpuPercent,
  ].map((percent) => perRequestUs(two, percent)) as [number, number, number];
  const ceiling = (cores * 1_000_000) / (servers + database + generator);
  const [atLeast, atMost] = [0.8 * raw.rps, ceiling / 1.15];
  return (
    `On ${cores} cores, a request with two workers cost the machine ${(servers + database + generator).toFixed(0)} µs ` +
    `of CPU (servers ${servers.toFixed(0)}, MariaDB ${database.toFixed(0)}, load generator ${generator.toFixed(0)}): ` +
    `at most ${ceiling.toFixed(0)} req/s for two workers. The own-order lines need one worker between ` +
    `${atLeast.toFixed(0)} (0.8 x raw) and ${atMost.toFixed(0)} req/s (ceiling / 1.15): ` +
    (atLeast > atMost ? "no rate is both, at these costs." : "both can hold.")
  );
}

/** The results as Markdown: a row per scenario (every round's rate beside the median), then a line per target. */
export function resultsTable(rows: Row[], targets: Target[], withCollections: boolean): string {
  const gcColumn = (row: Row) =>
    withCollections
      ? ` ${row.collections ? `${row.collections.full} / ${row.collections.eden}` : "n/a"} |`
      : "";
  const rate = (row: Row) => {
    const digits = row.unit === "req/s" ? 0 : 1;
    const rounds = row.rounds
      ? ` (median of ${row.rounds.map((rps) => rps.toFixed(digits)).join(" / ")})`
      : "";
    return `${row.rps.toFixed(digits)} ${row.unit}${rounds}`;
  };
  return [
    `| scenario | rate | p50 ms | p99 ms | errors | non-2xx | server peak RSS MB | server CPU % | database CPU % | load generator CPU % |${withCollections ? " full / eden GCs |" : ""}`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |${withCollections ? " --- |" : ""}`,
    ...rows.map(
      (row) =>
        `| ${row.scenario} | ${rate(row)} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} | ${row.errors} | ${row.non2xx} | ${row.peakRssMb.toFixed(0)} | ${row.serverCpuPercent.toFixed(0)} | ${row.databaseCpuPercent?.toFixed(0) ?? "n/a"} | ${row.generatorCpuPercent?.toFixed(0) ?? "n/a"} |${gcColumn(row)}`,
    ),
    "",
    ...targets.map(
      ([name, ok]) =>
        `- ${ok === undefined ? "n/a (not measured in this run, or profiled)" : ok ? "PASS" : "FAIL"}: ${name}`,
    ),
  ].join("\n");
}
