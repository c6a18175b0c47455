import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { waitFor } from "./waiting.ts";

/** Debian's galera-4 provider, which MariaDB loads to join a cluster. */
export const GALERA_PROVIDER = "/usr/lib/galera/libgalera_smm.so";

/**
 * Why a cluster cannot run here, or undefined when it can. Tests never install anything: `.ci/run` installs
 * galera-4 and rsync, and with CI=true a missing one (or a run without root, which the nodes' folders need) fails.
 */
export function galeraSkipReason(): string | undefined {
  const missing = [
    existsSync(GALERA_PROVIDER) ? undefined : "galera-4",
    Bun.which("rsync") ? undefined : "rsync",
    Bun.which("mariadbd", { PATH: "/usr/sbin:/usr/bin" }) ? undefined : "mariadb-server",
  ].filter(Boolean);
  if (missing.length > 0 && process.env.CI === "true")
    throw new Error(`CI=true but ${missing.join(", ")} is not installed`);
  if (missing.length > 0) return `apt-get install ${missing.join(" ")}`;
  const root = process.getuid?.() === 0;
  if (!root && process.env.CI === "true") throw new Error("CI=true but the Galera cluster tests need root");
  return root ? undefined : "needs root";
}

export interface GaleraNode {
  /** mysql://root@127.0.0.1:PORT (append the database). */
  serverUrl: string;
  port: number;
}

export interface GaleraCluster {
  nodes: GaleraNode[];
  /** SIGKILL on node `index`'s server: what a crashed machine looks like to the others. */
  kill(index: number): Promise<void>;
  /**
   * Starts a killed node again as an operator would: `--wsrep-recover` finds the last transaction it committed,
   * and it starts from there, so the cluster sends it only what it missed (IST), not a whole copy (SST).
   * Resolves once it is Synced, saying which transfer it received.
   */
  rejoin(index: number): Promise<{ transfer: "IST" | "SST" | "none" }>;
  stop(): Promise<void>;
}

/**
 * A MariaDB Galera cluster of `size` nodes on this machine, for the test that starts it: each node in a folder
 * of its own owned by `mysql`, on ports above 61000 (outside the range the kernel picks outgoing ports from, so
 * a stopped node's port is never taken meanwhile). The first node bootstraps the cluster; the others join with an
 * empty data folder and receive its data by rsync.
 */
export async function startGaleraCluster(size = 3): Promise<GaleraCluster> {
  const root = mkdtempSync(join(tmpdir(), "galera-"));
  const base = await freeRange(61000, 64000, size * 4);
  const nodes = Array.from({ length: size }, (_, index) => {
    const [port, gcomm, ist, sst] = [0, 1, 2, 3].map((offset) => base + index * 4 + offset) as [
      number,
      number,
      number,
      number,
    ];
    return { index, port, gcomm, ist, sst, dir: join(root, `n${index + 1}`) };
  });
  const members = nodes.map((node) => `127.0.0.1:${node.gcomm}`).join(",");
  const processes: Subprocess[] = [];
  for (const node of nodes) {
    mkdirSync(join(node.dir, "data"), { recursive: true });
    writeFileSync(
      join(node.dir, "my.cnf"),
      `[mysqld]
datadir=${node.dir}/data
socket=${node.dir}/mysqld.sock
pid-file=${node.dir}/mysqld.pid
log-error=${node.dir}/error.log
port=${node.port}
bind-address=127.0.0.1
user=mysql
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_flush_log_at_trx_commit=2
innodb_buffer_pool_size=64M
wsrep_on=ON
wsrep_provider=${GALERA_PROVIDER}
wsrep_cluster_name=orders_test
wsrep_cluster_address=gcomm://${members}
wsrep_node_address=127.0.0.1:${node.gcomm}
wsrep_node_name=n${node.index + 1}
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${node.gcomm};ist.recv_addr=127.0.0.1:${node.ist}"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:${node.sst}
`,
    );
  }
  chownTree(root, "mysql");
  const stop = async () => {
    for (const child of processes) child.kill("SIGTERM");
    await Promise.all(processes.map((child) => child.exited));
    rmSync(root, { recursive: true, force: true });
  };
  const synced = async (node: (typeof nodes)[number]) =>
    waitFor(
      async () => (await clusterStatus(node.port, "wsrep_local_state_comment")) === "Synced",
      `galera node ${node.index + 1} to be synced (see ${node.dir}/error.log)`,
      60_000,
    );
  try {
    const install = Bun.spawnSync(
      [
        "mariadb-install-db",
        `--defaults-file=${nodes[0]?.dir}/my.cnf`,
        "--user=mysql",
        "--auth-root-authentication-method=normal",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    if (install.exitCode !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr.toString()}`);
    for (const node of nodes) {
      const args = [
        `--defaults-file=${node.dir}/my.cnf`,
        ...(node.index === 0 ? ["--wsrep-new-cluster"] : []),
      ];
      processes.push(Bun.spawn(["mariadbd", ...args], { stdout: "ignore", stderr: "ignore" }));
      await synced(node);
      if (node.index === 0) {
        // Root from 127.0.0.1 over TCP, as the store connects; the grant reaches the joiners with the data.
        await sql(node.port, "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'");
        await sql(node.port, "GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION");
      }
    }
    await waitFor(
      async () => Number(await clusterStatus(nodes[0]?.port as number, "wsrep_cluster_size")) === size,
      `a cluster of ${size}`,
      30_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes: nodes.map((node) => ({ port: node.port, serverUrl: `mysql://root@127.0.0.1:${node.port}` })),
    async kill(index) {
      const child = processes[index] as Subprocess;
      child.kill("SIGKILL");
      await child.exited;
    },
    async rejoin(index) {
      const node = nodes[index] as (typeof nodes)[number];
      const log = `${node.dir}/error.log`;
      const recover = Bun.spawnSync(["mariadbd", `--defaults-file=${node.dir}/my.cnf`, "--wsrep-recover"]);
      if (recover.exitCode !== 0) throw new Error(`mariadbd --wsrep-recover failed (see ${log})`);
      const position = [...readFileSync(log, "utf8").matchAll(/WSREP: Recovered position: (\S+:-?\d+)/g)].at(
        -1,
      )?.[1];
      if (!position) throw new Error(`mariadbd --wsrep-recover found no position (see ${log})`);
      const before = readFileSync(log, "utf8").length;
      processes[index] = Bun.spawn(
        ["mariadbd", `--defaults-file=${node.dir}/my.cnf`, `--wsrep-start-position=${position}`],
        { stdout: "ignore", stderr: "ignore" },
      );
      await synced(node);
      const since = readFileSync(log, "utf8").slice(before);
      const transfer = /IST received/.test(since)
        ? "IST"
        : /SST .*(complete|received)|State transfer .* complete/i.test(since)
          ? "SST"
          : "none";
      return { transfer };
    },
    stop,
  };
}

async function sql(port: number, statement: string): Promise<unknown[]> {
  const { createConnection } = await import("mysql2/promise");
  const connection = await createConnection({ host: "127.0.0.1", port, user: "root", connectTimeout: 2000 });
  try {
    const [rows] = await connection.query(statement);
    return rows as unknown[];
  } finally {
    await connection.end();
  }
}

async function clusterStatus(port: number, name: string): Promise<string | undefined> {
  const rows = (await sql(port, `SHOW STATUS LIKE '${name}'`)) as { Value: string }[];
  return rows[0]?.Value;
}

/** The first of `count` consecutive ports in [from, to) that nothing listens on. */
async function freeRange(from: number, to: number, count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const start = from + Math.floor(Math.random() * (to - from - count));
    const taken = await Promise.all(Array.from({ length: count }, (_, offset) => listening(start + offset)));
    if (!taken.some(Boolean)) return start;
  }
  throw new Error(`no ${count} free ports between ${from} and ${to}`);
}

async function listening(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

function chownTree(path: string, user: string): void {
  const result = Bun.spawnSync(["chown", "-R", `${user}:${user}`, path], { stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`chown ${path} failed: ${result.stderr.toString()}`);
}

/** Each node's CHECKSUM TABLE of `tables` in database `database`, once it has applied every earlier write. */
export async function nodeChecksums(
  cluster: GaleraCluster,
  database: string,
  tables: string[],
): Promise<string[][]> {
  return Promise.all(
    cluster.nodes.map(async (node) => {
      const { createConnection } = await import("mysql2/promise");
      const connection = await createConnection({ uri: `${node.serverUrl}/${database}` });
      try {
        await connection.query("SET SESSION wsrep_sync_wait = 1");
        const [rows] = (await connection.query(`CHECKSUM TABLE ${tables.join(", ")}`)) as unknown as [
          { Table: string; Checksum: number }[],
        ];
        return rows.map((row) => `${row.Table.split(".")[1]}:${row.Checksum}`);
      } finally {
        await connection.end();
      }
    }),
  );
}
