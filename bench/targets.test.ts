import { describe, expect, test } from "bun:test";
import { benchTargets, medianRound, type Row, resultsTable, sharedCoresNote } from "./targets.ts";

const row = (scenario: string, rps: number, extra: Partial<Row> = {}): Row => ({
  scenario,
  rps,
  p50: 2,
  p99: 9,
  errors: 0,
  non2xx: 0,
  unit: "req/s",
  peakRssMb: 150,
  serverCpuPercent: 90,
  databaseCpuPercent: 40,
  ...extra,
});

const targetsOf = (rows: Row[], cores = 2) =>
  new Map(
    benchTargets({ rows, statementsPerPurchase: new Map(), deepPage: 400, cores, profiled: false }).map(
      ([name, ok]) => [name.replace(/ \(.*$/, ""), ok],
    ),
  );

describe("a scenario measured in rounds", () => {
  test("counts with its median round, whose latency and usage come with it, and keeps every round's rate", () => {
    const rounds = [
      row("GET own order", 5000, { p50: 3, serverCpuPercent: 97 }),
      row("GET own order", 3900, { p50: 6, serverCpuPercent: 99 }),
      row("GET own order", 5400, { p50: 2, serverCpuPercent: 95 }),
    ];
    expect(medianRound(rounds)).toMatchObject({
      rps: 5000,
      p50: 3,
      serverCpuPercent: 97,
      rounds: [5000, 3900, 5400],
    });
  });

  test("of an even number of rounds, counts with the lower middle one", () => {
    expect(medianRound([row("x", 4), row("x", 1), row("x", 3), row("x", 2)]).rps).toBe(2);
  });

  test("keeps every round's errors and non-2xx answers, not only the median round's", () => {
    const merged = medianRound([row("x", 1, { errors: 2 }), row("x", 2), row("x", 3, { non2xx: 5 })]);
    expect({ errors: merged.errors, non2xx: merged.non2xx }).toEqual({ errors: 2, non2xx: 5 });
  });

  test("of one round is that round, without a list of rounds", () => {
    const only = row("x", 7);
    expect(medianRound([only])).toBe(only);
    expect(() => medianRound([])).toThrow();
  });
});

describe("the own-order targets", () => {
  test("compare the app with its raw baseline at 0.8, and name the measured ratio", () => {
    const rows = [row("raw baseline: GET own order", 6000), row("GET own order", 4800)];
    expect(targetsOf(rows).get("GET own order >= 0.8 x its raw baseline req/s")).toBe(true);
    expect(
      targetsOf([rows[0] as Row, row("GET own order", 4700)]).get(
        "GET own order >= 0.8 x its raw baseline req/s",
      ),
    ).toBe(false);
    const names = benchTargets({
      rows,
      statementsPerPurchase: new Map(),
      deepPage: 400,
      cores: 2,
      profiled: false,
    });
    expect(
      names.some(([name]) =>
        name.includes("(one process each, medians of interleaved rounds; measured 0.80)"),
      ),
    ).toBe(true);
  });

  test("ask two workers for 1.15 x one on fewer than 4 cores and 1.6 x on 4 or more", () => {
    const rows = [row("GET own order", 4000), row("GET own order, WORKERS=2", 5000)];
    expect(targetsOf(rows, 2).get("GET own order, WORKERS=2 >= 1.15 x one worker req/s")).toBe(true);
    expect(targetsOf(rows, 8).get("GET own order, WORKERS=2 >= 1.6 x one worker req/s")).toBe(false);
  });

  test("are not measured when their scenarios did not run", () => {
    expect(
      targetsOf([row("GET own order", 4000)]).get("GET own order >= 0.8 x its raw baseline req/s"),
    ).toBeUndefined();
  });
});

describe("on fewer than 4 cores, the note on the two own-order lines", () => {
  // 5000 req/s: 100 % of a core is 200 µs a request, 50 % 100 µs, 25 % 50 µs; 350 µs on 2 cores is 5714 req/s.
  const two = row("GET own order, WORKERS=2", 5000, {
    serverCpuPercent: 100,
    databaseCpuPercent: 50,
    generatorCpuPercent: 25,
  });

  test("names what a request with two workers cost the machine, and the one-worker rates both lines allow", () => {
    const note = sharedCoresNote([row("raw baseline: GET own order", 8000), two], 2) as string;
    expect(note).toContain("cost the machine 350 µs of CPU (servers 200, MariaDB 100, load generator 50)");
    expect(note).toContain("at most 5714 req/s for two workers");
    expect(note).toContain("between 6400 (0.8 x raw) and 4969 req/s (ceiling / 1.15): no rate is both");
  });

  test("says when both can hold", () => {
    expect(sharedCoresNote([row("raw baseline: GET own order", 5000), two], 2)).toEndWith("both can hold.");
  });

  test("is left out on 4 or more cores, or without the rows and the load generator's CPU it needs", () => {
    const raw = row("raw baseline: GET own order", 8000);
    expect(sharedCoresNote([raw, two], 4)).toBeUndefined();
    expect(sharedCoresNote([two], 2)).toBeUndefined();
    expect(sharedCoresNote([raw, { ...two, generatorCpuPercent: undefined }], 2)).toBeUndefined();
  });
});

test("any error or non-2xx answer in any scenario fails the run", () => {
  expect(targetsOf([row("a", 1), row("b", 1)]).get("no errors and no non-2xx")).toBe(true);
  expect(targetsOf([row("a", 1), row("b", 1, { non2xx: 1 })]).get("no errors and no non-2xx")).toBe(false);
});

test("the table shows a measured-in-rounds scenario's median with each round's rate", () => {
  const table = resultsTable(
    [medianRound([row("GET own order", 5000), row("GET own order", 4000)])],
    [],
    false,
  );
  expect(table).toContain("| GET own order | 4000 req/s (median of 5000 / 4000) |");
});
