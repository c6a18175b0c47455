import { readdirSync, readFileSync } from "node:fs";

/** What a scenario cost the machine: the server's peak memory, and the share of one core each server used. */
export interface Usage {
  peakRssMb: number;
  serverCpuPercent: number;
  databaseCpuPercent: number | undefined;
}

function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used, from /proc; USER_HZ is 100 on Linux. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The process and its children (a supervisor's workers, WORKERS > 1). */
function processTree(pid: number): number[] {
  const children = readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return (
          (readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1] ?? "").split(" ")[1] === String(pid)
        );
      } catch {
        return false;
      }
    })
    .map(Number);
  return [pid, ...children];
}

const sum = (values: (number | undefined)[]) =>
  values.some((value) => value === undefined) ? undefined : values.reduce<number>((a, b) => a + (b ?? 0), 0);

/** The local MariaDB or MySQL server's pid, so its CPU can be shown beside the app's. */
export function localDatabasePid(url: string): number | undefined {
  if (!["127.0.0.1", "localhost"].includes(new URL(url).hostname)) return undefined;
  for (const name of ["mariadbd", "mysqld"]) {
    const found = Bun.spawnSync(["pgrep", "-xo", name]).stdout.toString().trim();
    if (found) return Number(found);
  }
  return undefined;
}

/**
 * Runs `work` while sampling the server's resident memory (its workers' together, when it supervises several);
 * returns the peak and the CPU the server and the database server (when it runs on this machine) used.
 */
export async function withUsage<T>(
  pid: number,
  databasePid: number | undefined,
  work: () => Promise<T>,
): Promise<[T, Usage]> {
  const tree = processTree(pid);
  const treeRss = () => tree.reduce((total, member) => total + rssMb(member), 0);
  const treeCpu = () => sum(tree.map(cpuSeconds));
  let peak = treeRss();
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRss());
  }, 100);
  const started = performance.now();
  const [serverBefore, databaseBefore] = [treeCpu(), cpuSeconds(databasePid)];
  try {
    const result = await work();
    const seconds = (performance.now() - started) / 1000;
    const percent = (before: number | undefined, after: number | undefined) =>
      before === undefined || after === undefined ? undefined : (100 * (after - before)) / seconds;
    return [
      result,
      {
        peakRssMb: Math.max(peak, treeRss()),
        serverCpuPercent: percent(serverBefore, treeCpu()) ?? 0,
        databaseCpuPercent: percent(databaseBefore, cpuSeconds(databasePid)),
      },
    ];
  } finally {
    clearInterval(timer);
  }
}
