/**
 * The one freePort and the one waitFor of the tests, the benchmark and the scripts that start servers. No bun:test
 * here, so that `bun run bench` can use them too.
 */

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

/** Polls `check` until it holds (a throw counts as not yet), for at most `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** For waitFor: the URL answers 2xx. */
export const answersOk = (url: string, init?: RequestInit) => async () => (await fetch(url, init)).ok;
