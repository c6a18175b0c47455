import { parseArgs } from "node:util";

/** A command line `bun run bench` cannot run with; its message says what to give instead. */
export class UsageError extends Error {}

/** What a bench run measures, and how long and hard it drives each scenario. */
export interface BenchOptions {
  quick: boolean;
  runtime: "bun" | "node";
  /** The Bun server's heap is sized as if the machine had this many MiB (`BUN_JSC_forceRAMSize`). */
  heapMib: number;
  /** Only the scenarios whose name contains it, when given. */
  only: string | undefined;
  profile: boolean;
  gc: boolean;
  size: { products: number; customers: number; orders: number; bigOrders: number | undefined };
  /** The products page as deep as the catalog allows, up to 400. */
  deepPage: number;
  timing: { seconds: number; warmup: number; connections: number };
}

/**
 * `bun run bench [--quick] [--orders 1000000] [--only TEXT] [--profile] [--gc] [--runtime bun|node] [--heap-mib N]`,
 * checked as a whole: throws UsageError for any option it cannot honour.
 */
export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean" },
      orders: { type: "string" },
      only: { type: "string" },
      profile: { type: "boolean" },
      gc: { type: "boolean" },
      runtime: { type: "string", default: "bun" },
      "heap-mib": { type: "string", default: "192" },
    },
  });
  const heapMib = Number(args["heap-mib"]);
  if (!Number.isSafeInteger(heapMib) || heapMib < 32)
    throw new UsageError(`--heap-mib must be a whole number of MiB, at least 32, not "${args["heap-mib"]}"`);
  const runtime = args.runtime;
  if (runtime !== "bun" && runtime !== "node")
    throw new UsageError(`--runtime must be bun or node, not "${runtime}"`);
  if (runtime === "node" && args.gc)
    throw new UsageError(
      "--gc counts JavaScriptCore's collections, so the Bun server's only; leave out --runtime node",
    );
  if (runtime === "node" && args.profile)
    throw new UsageError("--profile profiles the Bun server only; leave out --runtime node");
  const quick = args.quick === true;
  const size = {
    products: quick ? 2_000 : 10_000,
    customers: quick ? 200 : 1_000,
    orders: quick ? 10_000 : 100_000,
    bigOrders: args.orders === undefined ? undefined : Number(args.orders),
  };
  if (size.bigOrders !== undefined && !(Number.isSafeInteger(size.bigOrders) && size.bigOrders > size.orders))
    throw new UsageError(
      `--orders must be a whole number above the ${size.orders} seeded orders, not "${args.orders}"`,
    );
  const deepPage = Math.min(400, Math.floor(size.products / 20));
  const scenarios = [
    "GET own order",
    "raw baseline: products page 1",
    "products page 1",
    `products page ${deepPage}`,
    "POST /orders",
    "report summary",
    "whole purchase",
  ];
  const only = args.only;
  if (only !== undefined && !scenarios.some((scenario) => scenario.includes(only)))
    throw new UsageError(`--only "${only}" matches no scenario; they are: ${scenarios.join(", ")}`);
  return {
    quick,
    runtime,
    heapMib,
    only,
    profile: args.profile === true,
    gc: args.gc === true,
    size,
    deepPage,
    timing: quick ? { seconds: 3, warmup: 1, connections: 16 } : { seconds: 10, warmup: 3, connections: 32 },
  };
}
