import { existsSync } from "node:fs";
import { join, normalize, sep } from "node:path";

const APP_PREFIXES = ["/api/", "/admin", "/healthz", "/readyz"];

/**
 * Serves the built customer site (ui/dist) from the Bun server, so one process shows the whole app without
 * nginx: hashed assets are cached for a year, index.html never, and unknown paths fall back to the SPA.
 */
export function staticUi(distDir: string): ((request: Request) => Promise<Response | undefined>) | undefined {
  const indexPath = join(distDir, "index.html");
  if (!existsSync(indexPath)) return undefined;
  const root = normalize(distDir) + sep;
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    const path = decodeURIComponent(new URL(request.url).pathname);
    if (APP_PREFIXES.some((prefix) => path === prefix.replace(/\/$/, "") || path.startsWith(prefix)))
      return undefined;
    if (path.startsWith("/assets/")) {
      const file = normalize(join(distDir, path));
      if (!file.startsWith(root) || !(await Bun.file(file).exists()))
        return new Response("Not found", { status: 404 });
      return new Response(Bun.file(file), {
        headers: { "Cache-Control": "public, max-age=31536000, immutable" },
      });
    }
    return new Response(Bun.file(indexPath), {
      headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache" },
    });
  };
}
