import { readFileSync, writeFileSync } from "node:fs";
import { waitUntilAnswering } from "./wait-until-answering.ts";

/**
 * Restarts the instances behind nginx one at a time without a failed request (docs/decisions/015): each is first
 * marked "down" in nginx's upstream file and nginx reloaded, so nginx has stopped sending it anything before it
 * stops; it is then restarted, must answer /readyz, and goes back into the rotation before the next one.
 *
 * `bun run deploy:restart` (as root) after a change to /etc/orders/orders.env; `bun run deploy:upgrade` ends with it.
 */
export interface RollingRestart {
  /** deploy/nginx-upstream.conf as installed: one `server 127.0.0.1:PORT ...;` line per instance. */
  upstreamFile: string;
  reloadNginx(): Promise<void>;
  restart(port: number): Promise<void>;
  log(line: string): void;
  /** How long /readyz may take after the restart. */
  readyTimeoutMs?: number;
}

/**
 * After a reload nginx's new workers no longer send anything to an instance marked down; the old ones finish the
 * requests they have (a few milliseconds each here) and send it no new ones. One second covers both.
 */
const NGINX_SETTLE_MS = 1000;

const SERVER_LINE = /^(\s*server\s+127\.0\.0\.1:(\d+))([^;]*);/gm;

/** The instances' ports, in the file's order. */
export function upstreamPorts(upstream: string): number[] {
  return [...upstream.matchAll(SERVER_LINE)].map((match) => Number(match[2]));
}

/** The upstream file with `port` marked down (and every other instance up); `undefined` marks none down. */
export function markedDown(upstream: string, port: number | undefined): string {
  return upstream.replace(SERVER_LINE, (_, server: string, linePort: string, parameters: string) => {
    const others = parameters.replace(/\s+down\b/g, "");
    return `${server}${others}${Number(linePort) === port ? " down" : ""};`;
  });
}

export async function rollingRestart(options: RollingRestart): Promise<void> {
  const upstream = readFileSync(options.upstreamFile, "utf8");
  const ports = upstreamPorts(upstream);
  if (ports.length < 2)
    throw new Error(
      `${options.upstreamFile} lists ${ports.length} instance(s): restarting the only one refuses requests meanwhile; run two (docs/production.md)`,
    );
  for (const port of ports) {
    // One reload puts the previous instance back and takes this one out: every reload makes nginx's old workers
    // close their idle client connections, so the fewer the better.
    options.log(`instance ${port}: out of nginx's rotation`);
    writeFileSync(options.upstreamFile, markedDown(upstream, port));
    await options.reloadNginx();
    await Bun.sleep(NGINX_SETTLE_MS);
    options.log(`instance ${port}: restarting`);
    await options.restart(port);
    try {
      await waitUntilAnswering(`http://127.0.0.1:${port}/readyz`, options.readyTimeoutMs ?? 60_000);
    } catch (error) {
      throw new Error(
        `instance ${port} is not ready after its restart (${(error as Error).message}); it stays out of nginx's rotation (down in ${options.upstreamFile}), and the instances after it were not restarted. Fix it (journalctl -u orders@${port}), then run bun run deploy:restart again`,
      );
    }
    options.log(`instance ${port}: ready`);
  }
  writeFileSync(options.upstreamFile, markedDown(upstream, undefined));
  await options.reloadNginx();
  options.log("every instance in nginx's rotation");
}

/** Runs a command, failing with its output when it fails. */
export async function run(argv: string[], options: { cwd?: string } = {}): Promise<void> {
  const child = Bun.spawn(argv, { cwd: options.cwd, stdout: "inherit", stderr: "pipe" });
  const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
  if (stderr) process.stderr.write(stderr);
  if (code !== 0)
    throw new Error(`${argv.join(" ")} exited with ${code}${stderr ? `: ${stderr.trim()}` : ""}`);
}

/** The production host's way: systemd units orders@PORT and the system's nginx. */
export const onThisHost = {
  upstreamFile: process.env.ORDERS_NGINX_UPSTREAM ?? "/etc/nginx/orders-upstream.conf",
  // nginx -t first: a reload with a broken file keeps the old configuration and still succeeds.
  reloadNginx: async () => {
    await run(["nginx", "-t", "-q"]);
    await run(["systemctl", "reload", "nginx"]);
  },
  restart: (port: number) => run(["systemctl", "restart", `orders@${port}`]),
  log: (line: string) => console.log(line),
};

if (import.meta.main) {
  await rollingRestart(onThisHost).catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
