import { existsSync } from "node:fs";
import { join } from "node:path";
import type { MiddlewareHandler } from "hono";
import { IMMUTABLE } from "./text-assets.ts";

/** The runtime's own static-file middleware: `serveStatic` of `hono/bun` or of `@hono/node-server/serve-static`. */
export type ServeStatic = (options: { root: string; path?: string }) => MiddlewareHandler;

/** The built customer site and the runtime's way of serving files. */
export interface SiteFiles {
  dir: string;
  serveStatic: ServeStatic;
}

/** Paths the server answers itself: the site never shadows them, not even their 404s. */
const SERVER_PATHS = /^\/(api|admin|healthz|readyz|metrics|media)(\/|$)/;

/**
 * The handlers that serve the built customer site (`ui/dist`) for GET requests no route answered, so one process
 * shows the whole app without nginx: hashed files under /assets/ are cached for a year, everything else must be
 * revalidated, and any other path gets index.html for the SPA's router. Undefined when the folder has no
 * index.html.
 */
export function staticUi(
  site: SiteFiles,
): [MiddlewareHandler, MiddlewareHandler, MiddlewareHandler] | undefined {
  if (!existsSync(join(site.dir, "index.html"))) return undefined;
  const indexPage = site.serveStatic({ root: site.dir, path: "index.html" });
  return [
    async (c, next) => {
      if (SERVER_PATHS.test(c.req.path)) return c.notFound();
      await next();
      if (c.res.ok)
        c.res.headers.set("Cache-Control", c.req.path.startsWith("/assets/") ? IMMUTABLE : "no-cache");
    },
    site.serveStatic({ root: site.dir }),
    (c, next) => (c.req.path.startsWith("/assets/") ? next() : indexPage(c, next)),
  ];
}
