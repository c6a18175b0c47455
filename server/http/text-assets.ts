import { createHash } from "node:crypto";
import { Hono } from "hono";
import { getMimeType } from "hono/utils/mime";

/** A stylesheet or script the server holds in memory, served under a name that changes with its content. */
export interface TextAsset {
  /** The URL path to link to, such as `/admin/static/admin-1a2b3c4d5e.css`. */
  path: string;
  type: string;
  body: () => Promise<string>;
}

/** For content that never changes under its name: browsers keep it a year. */
export const IMMUTABLE = "public, max-age=31536000, immutable";

const typeOf = (name: string) => getMimeType(name) ?? "application/octet-stream";

/** `name` (`admin.css`) under `base` (`/admin/static`), with a hash of the content in its file name. */
export function textAsset(base: string, name: string, body: string): TextAsset {
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 10);
  const dot = name.lastIndexOf(".");
  return {
    path: `${base}/${name.slice(0, dot)}-${hash}${name.slice(dot)}`,
    type: typeOf(name),
    body: async () => body,
  };
}

/**
 * A file of an installed package, named by the package's version and read on its first request only: a large
 * bundle (Swagger UI's is 1.7 MB) costs the server no memory until someone asks for it.
 */
export function packageAsset(
  base: string,
  name: string,
  version: string,
  load: () => Promise<string>,
): TextAsset {
  let loaded: Promise<string> | undefined;
  return {
    path: `${base}/${version}/${name}`,
    type: typeOf(name),
    body: () => {
      loaded ??= load();
      return loaded;
    },
  };
}

/** Routes that answer each asset's path; the content never changes under a name, so browsers keep it a year. */
export function textAssetRoutes(assets: TextAsset[]) {
  const routes = new Hono();
  for (const asset of assets) {
    routes.get(asset.path, async (c) =>
      c.body(await asset.body(), 200, { "Content-Type": asset.type, "Cache-Control": IMMUTABLE }),
    );
  }
  return routes;
}
