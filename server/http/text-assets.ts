import { createHash } from "node:crypto";
import { Hono } from "hono";
import { getMimeType } from "hono/utils/mime";

/** A stylesheet or script the server holds in memory, served under a name that changes with its content. */
export interface TextAsset {
  /** The URL path to link to, such as `/admin/static/admin-1a2b3c4d5e.css`. */
  path: string;
  body: string;
  type: string;
}

const IMMUTABLE = "public, max-age=31536000, immutable";

/** `name` (`admin.css`) under `base` (`/admin/static`), with a hash of the content in its file name. */
export function textAsset(base: string, name: string, body: string): TextAsset {
  const hash = createHash("sha256").update(body).digest("hex").slice(0, 10);
  const dot = name.lastIndexOf(".");
  return {
    path: `${base}/${name.slice(0, dot)}-${hash}${name.slice(dot)}`,
    body,
    type: getMimeType(name) ?? "application/octet-stream",
  };
}

/** Routes that answer each asset's path; the content never changes under a name, so browsers keep it a year. */
export function textAssetRoutes(assets: TextAsset[]) {
  const routes = new Hono();
  for (const asset of assets) {
    routes.get(asset.path, (c) =>
      c.body(asset.body, 200, { "Content-Type": asset.type, "Cache-Control": IMMUTABLE }),
    );
  }
  return routes;
}
