import { describe, expect, test } from "bun:test";
import { parseBenchOptions, UsageError } from "./options.ts";

describe("bun run bench's options", () => {
  test("a full run by default: 100,000 orders, 32 connections for 10 s, page 400, the Bun server's heap at 192 MiB", () => {
    expect(parseBenchOptions([])).toMatchObject({
      quick: false,
      runtime: "bun",
      heapMib: 192,
      only: undefined,
      size: { products: 10_000, customers: 1_000, orders: 100_000, bigOrders: undefined },
      deepPage: 400,
      timing: { seconds: 10, warmup: 3, connections: 32 },
    });
  });

  test("--quick seeds and drives less, and pages only as deep as its catalog", () => {
    expect(parseBenchOptions(["--quick", "--only", "own order"])).toMatchObject({
      quick: true,
      only: "own order",
      size: { products: 2_000, orders: 10_000 },
      deepPage: 100,
      timing: { seconds: 3, warmup: 1, connections: 16 },
    });
  });

  test("--orders grows the table beyond the seeded orders, and nothing else", () => {
    expect(parseBenchOptions(["--orders", "1000000"]).size.bigOrders).toBe(1_000_000);
    expect(() => parseBenchOptions(["--orders", "50000"])).toThrow(
      '--orders must be a whole number above the 100000 seeded orders, not "50000"',
    );
    expect(() => parseBenchOptions(["--orders", "many"])).toThrow(UsageError);
  });

  test("each option it cannot honour is refused with what to give instead", () => {
    const refusals: [string[], string][] = [
      [["--heap-mib", "16"], '--heap-mib must be a whole number of MiB, at least 32, not "16"'],
      [["--runtime", "deno"], '--runtime must be bun or node, not "deno"'],
      [["--runtime", "node", "--gc"], "leave out --runtime node"],
      [["--runtime", "node", "--profile"], "--profile profiles the Bun server only"],
      [["--only", "checkout"], '--only "checkout" matches no scenario; they are: GET own order, '],
    ];
    for (const [argv, message] of refusals) expect(() => parseBenchOptions(argv)).toThrow(message);
  });
});
