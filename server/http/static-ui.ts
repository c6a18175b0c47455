import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join, normalize, sep } from "node:path";
import type { MiddlewareHandler } from "hono";
import { getMimeType } from "hono/utils/mime";

/** Paths the server answers itself: the site never shadows them, not even their 404s. */
const SERVER_PATHS = /^\/(api|admin|healthz|readyz|metrics)(\/|$)/;
const ASSET_CACHE = "public, max-age=31536000, immutable";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the built customer site (`ui/dist`) for GET requests no route answered, so one process shows the whole
 * app without nginx: hashed files under /assets/ are cached for a year, everything else must be revalidated,
 * and any other path gets index.html for the SPA's router. Undefined when the folder has no index.html.
 */
export function staticUi(distDir: string): MiddlewareHandler | undefined {
  const root = normalize(distDir);
  const indexPath = join(root, "index.html");
  if (!existsSync(indexPath)) return undefined;
  return async (c, next) => {
    const path = c.req.path;
    if (SERVER_PATHS.test(path)) return next();
    const file = join(root, path);
    if (file.startsWith(root + sep) && (await isFile(file))) {
      return c.body(await readFile(file), 200, {
        "Content-Type": getMimeType(file) ?? "application/octet-stream",
        "Cache-Control": path.startsWith("/assets/") ? ASSET_CACHE : "no-cache",
      });
    }
    if (path.startsWith("/assets/")) return next();
    return c.body(await readFile(indexPath), 200, {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-cache",
    });
  };
}
