/** A stand-in's Hono app served on a port of its own, as the tests and `bun run dev` start it. */
export interface Served<S> {
  url: string;
  simulator: S;
  stop(): Promise<void>;
}

/** Serves `simulator.app` on `port` (0, the default: any free one) of `hostname` (default 127.0.0.1). */
export function serveSimulator<
  S extends { app: { fetch: (request: Request) => Response | Promise<Response> } },
>(simulator: S, options: { port?: number; hostname?: string }): Served<S> {
  const server = Bun.serve({
    port: options.port ?? 0,
    hostname: options.hostname ?? "127.0.0.1",
    fetch: simulator.app.fetch,
    idleTimeout: 0,
  });
  return {
    url: server.url.toString().replace(/\/$/, ""),
    simulator,
    stop: () => server.stop(true),
  };
}
