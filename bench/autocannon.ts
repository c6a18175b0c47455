import { join } from "node:path";

/** A scenario's requests: GET with no body unless told otherwise. */
export interface Load {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
}

/** What one autocannon run measured, and the CPU autocannon itself used (a share of one core). */
export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  generatorCpuPercent: number;
}

/**
 * Drives `url` with autocannon in a process of its own (the installed package, under Node), `connections` at once
 * for `seconds` after a warm-up of `warmup` seconds that does not count.
 */
export async function runAutocannon(
  url: string,
  load: Load,
  timing: { seconds: number; warmup: number; connections: number },
): Promise<LoadResult> {
  const connections = String(timing.connections);
  const argv = [
    "node",
    join(import.meta.dirname, "../node_modules/autocannon/autocannon.js"),
    "--json",
    ...["-c", connections, "-d", String(timing.seconds)],
    ...["--warmup", "[", "-c", connections, "-d", String(timing.warmup), "]"],
  ];
  if (load.method) argv.push("-m", load.method);
  if (load.body) argv.push("-b", load.body);
  for (const [name, value] of Object.entries(load.headers ?? {})) argv.push("-H", `${name}=${value}`);
  argv.push(url);
  const started = performance.now();
  const child = Bun.spawn(argv, { stdout: "pipe", stderr: "ignore" });
  const output = await new Response(child.stdout).text();
  await child.exited;
  const cpuUs = Number(child.resourceUsage()?.cpuTime.total ?? Number.NaN);
  const result = JSON.parse(output.trim().split("\n").at(-1) as string);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    generatorCpuPercent: (100 * cpuUs) / 1000 / (performance.now() - started),
  };
}
