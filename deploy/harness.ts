import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { answersOk, waitFor } from "../tests/waiting.ts";

/** What the deploy tests share: the shipped files rendered for this machine, nginx, and instances run as systemd would. */

export const DEPLOY = import.meta.dirname;
export const ROOT = join(DEPLOY, "..");

/**
 * A command these tests need, or undefined. Tests never install anything: `.ci/run` installs nginx and systemd,
 * and with CI=true a missing one is an error, so CI cannot pass by testing less. Elsewhere the suite is reported
 * as skipped, with the reason in its name.
 */
export function findCommand(command: string): string | undefined {
  const found =
    Bun.which(command) ?? Bun.which(command, { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" }) ?? undefined;
  if (!found && process.env.CI === "true") throw new Error(`CI=true but ${command} is not installed`);
  return found;
}

export const NGINX = findCommand("nginx");
export const SYSTEMD_ANALYZE = findCommand("systemd-analyze");
export const missing = (command: string, found: string | undefined, debianPackage: string) =>
  found ? "" : ` (skipped: ${command} is not installed; apt-get install ${debianPackage})`;

/** Replaces each placeholder, failing when the shipped file no longer contains it. */
export function render(text: string, replacements: [string, string][]): string {
  let rendered = text;
  for (const [from, to] of replacements) {
    if (!rendered.includes(from)) throw new Error(`the shipped file no longer contains "${from}"`);
    rendered = rendered.replaceAll(from, to);
  }
  return rendered;
}

const BUN = Bun.which("bun") as string;

/** A shipped unit made runnable here: this machine's bun, this checkout, and the given environment file. */
export function renderUnit(unit: string, environmentFile: string): string {
  const text = readFileSync(join(DEPLOY, unit), "utf8");
  if (unit.endsWith(".timer")) return text;
  return render(text, [
    ["/usr/local/bin/bun", BUN],
    ["WorkingDirectory=/opt/orders", `WorkingDirectory=${ROOT}`],
    ["/etc/orders/orders.env", environmentFile],
  ]);
}

/**
 * What systemd runs for a rendered service: ExecStart= in WorkingDirectory=, with systemd's PATH, then
 * Environment=, then EnvironmentFile= lines on top (systemd.exec: the file overrides Environment=). The test's
 * environment files hold plain KEY=value lines, which systemd reads exactly like this.
 */
export function serviceCommand(unitText: string, instance = "") {
  const settings = unitText
    .split("\n")
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => {
      const at = line.indexOf("=");
      return [
        line.slice(0, at),
        line
          .slice(at + 1)
          .trim()
          .replaceAll("%i", instance),
      ] as const;
    });
  const values = (key: string) => settings.filter(([name]) => name === key).map(([, value]) => value);
  const assignments = [
    ...values("Environment"),
    ...values("EnvironmentFile").flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line.includes("=") && !/^[#;]/.test(line)),
    ),
  ];
  const env: Record<string, string> = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
    HOME: process.env.HOME ?? "/",
  };
  for (const assignment of assignments) {
    const at = assignment.indexOf("=");
    env[assignment.slice(0, at)] = assignment.slice(at + 1).trim();
  }
  const [cwd] = values("WorkingDirectory");
  const [execStart] = values("ExecStart");
  if (!cwd || !execStart) throw new Error("the unit has no WorkingDirectory= or ExecStart=");
  const [execStartPost] = values("ExecStartPost");
  return { cwd, env, argv: execStart.split(/\s+/), postStart: execStartPost?.split(/\s+/) };
}

export interface Instance {
  process: Subprocess<"ignore", "pipe", "pipe">;
  output: string[];
}

export type ServiceCommand = ReturnType<typeof serviceCommand>;

/**
 * What `systemctl start` does with the unit: ExecStart=, then ExecStartPost= (the wait until it listens), which
 * must succeed: systemctl returns only then.
 */
export async function startService(command: ServiceCommand): Promise<Instance> {
  const instance = startInstance(command);
  if (command.postStart) {
    const post = Bun.spawn(command.postStart, { cwd: command.cwd, env: command.env, stderr: "pipe" });
    if ((await post.exited) !== 0)
      throw new Error(`ExecStartPost failed: ${await new Response(post.stderr).text()}`);
  }
  return instance;
}

/** What `systemctl restart` does: SIGTERM (KillSignal=), wait for the exit, start again. */
export async function restartService(instance: Instance, command: ServiceCommand): Promise<Instance> {
  instance.process.kill("SIGTERM");
  await instance.process.exited;
  return startService(command);
}

function startInstance(command: ServiceCommand): Instance {
  const child = Bun.spawn(command.argv, {
    cwd: command.cwd,
    env: command.env,
    stdout: "pipe",
    stderr: "pipe",
  });
  const output: string[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    const reader = child.stdout.getReader();
    let partial = "";
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      const lines = (partial + decoder.decode(read.value, { stream: true })).split("\n");
      partial = lines.pop() ?? "";
      output.push(...lines.filter(Boolean));
    }
  })();
  return { process: child, output };
}

export const insecure = { tls: { rejectUnauthorized: false } } as RequestInit;

export interface Site {
  http: string;
  https: string;
  /** nginx's folder: logs/orders.access.log, acme/ (the challenge webroot), nginx.conf, site.conf. */
  dir: string;
  /** The rendered deploy/nginx-upstream.conf the site includes. */
  upstreamFile: string;
  /** What `systemctl reload nginx` does: new workers with the configuration as it is now, the old ones finishing. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The shipped deploy/nginx.conf on a real nginx, rendered with test ports and paths only: a self-signed
 * certificate, a small SPA build in `dir`/dist, MEDIA_DIR at `mediaDir`, and the upstream's two ports.
 */
export async function startSite(
  dir: string,
  options: {
    mediaDir: string;
    upstreamPorts: [number, number];
    /** nginx's own ports, chosen before the instances start: APP_URL names the HTTPS one. */
    listen: { http: number; https: number };
    workerProcesses?: number;
  },
): Promise<Site> {
  const nginxBin = NGINX as string;
  const { mediaDir } = options;
  const [portA, portB] = options.upstreamPorts;
  const { http: httpPort, https: httpsPort } = options.listen;
  const dist = join(dir, "dist");
  mkdirSync(join(dist, "assets"), { recursive: true });
  writeFileSync(join(dist, "index.html"), "<!doctype html><title>Shop</title><div id=app>spa-index</div>");
  writeFileSync(join(dist, "assets", "app-3f9a1c.js"), `console.log(${JSON.stringify("x".repeat(4000))});`);
  for (const folder of ["logs", "acme", "tmp"]) mkdirSync(join(dir, folder));
  const openssl = Bun.spawnSync([
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    join(dir, "cert.pem"),
  ]);
  if (openssl.exitCode !== 0) throw new Error(`openssl failed: ${openssl.stderr}`);

  const site = render(readFileSync(join(DEPLOY, "nginx.conf"), "utf8"), [
    ["listen 80;", `listen 127.0.0.1:${httpPort};`],
    ["listen [::]:80;\n", ""],
    ["listen 443 ssl http2;", `listen 127.0.0.1:${httpsPort} ssl http2;`],
    ["listen [::]:443 ssl http2;\n", ""],
    ["/etc/letsencrypt/live/shop.example.com/fullchain.pem", join(dir, "cert.pem")],
    ["/etc/letsencrypt/live/shop.example.com/privkey.pem", join(dir, "key.pem")],
    ["/var/www/letsencrypt", join(dir, "acme")],
    ["/var/log/nginx", join(dir, "logs")],
    ["/opt/orders/ui/dist", dist],
    ["/var/lib/orders/media/", `${mediaDir}/`],
    ["/etc/nginx/orders-upstream.conf", join(dir, "orders-upstream.conf")],
  ]);
  writeFileSync(join(dir, "site.conf"), site);
  const upstream = render(readFileSync(join(DEPLOY, "nginx-upstream.conf"), "utf8"), [
    ["127.0.0.1:3001", `127.0.0.1:${portA}`],
    ["127.0.0.1:3002", `127.0.0.1:${portB}`],
  ]);
  writeFileSync(join(dir, "orders-upstream.conf"), upstream);
  const temp = join(dir, "tmp");
  writeFileSync(
    join(dir, "nginx.conf"),
    `user root; worker_processes ${options.workerProcesses ?? 1}; pid ${dir}/nginx.pid; error_log ${dir}/logs/error.log;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  client_body_temp_path ${temp}/body; proxy_temp_path ${temp}/proxy; fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi; scgi_temp_path ${temp}/scgi;
  include ${dir}/site.conf;
}
`,
  );
  const check = Bun.spawnSync([nginxBin, "-t", "-p", dir, "-c", join(dir, "nginx.conf")]);
  console.log(`nginx -t: ${check.stderr.toString().trim()}`);
  if (check.exitCode !== 0) throw new Error("nginx -t failed");

  const nginx = Bun.spawn([nginxBin, "-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], {
    stderr: "pipe",
  });
  const https = `https://127.0.0.1:${httpsPort}`;
  await waitFor(answersOk(`${https}/healthz`, insecure), "nginx");
  return {
    http: `http://127.0.0.1:${httpPort}`,
    https,
    dir,
    upstreamFile: join(dir, "orders-upstream.conf"),
    async reload() {
      const reload = Bun.spawn([nginxBin, "-p", dir, "-c", join(dir, "nginx.conf"), "-s", "reload"], {
        stderr: "pipe",
      });
      if ((await reload.exited) !== 0)
        throw new Error(`nginx -s reload: ${await new Response(reload.stderr).text()}`);
    },
    async stop() {
      nginx.kill("SIGQUIT");
      await nginx.exited;
    },
  };
}
