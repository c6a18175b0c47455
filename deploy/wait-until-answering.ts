/**
 * Waits until a URL answers 2xx, or fails after a timeout: `bun deploy/wait-until-answering.ts URL [SECONDS]`.
 * The units' ExecStartPost= runs it on /healthz, so `systemctl start` and `restart` return only once the instance
 * listens (a restart chain never runs ahead of Bun); deploy/upgrade.ts waits on /readyz before the next instance.
 */
export async function waitUntilAnswering(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
      last = `${response.status} ${(await response.text()).slice(0, 200)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await Bun.sleep(100);
  }
  throw new Error(`${url} did not answer 2xx within ${timeoutMs / 1000} s (last: ${last})`);
}

if (import.meta.main) {
  const [url, seconds = "60"] = process.argv.slice(2);
  const timeoutMs = Number(seconds) * 1000;
  if (!url || !URL.canParse(url) || !(timeoutMs > 0)) {
    console.error("usage: bun deploy/wait-until-answering.ts URL [SECONDS]");
    process.exit(2);
  }
  await waitUntilAnswering(url, timeoutMs).catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
