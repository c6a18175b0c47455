import { Hono } from "hono";
import type { Config } from "../config.ts";
import { PICTURE_CACHE_CONTROL, PICTURE_PATH, readPicture } from "./pictures.ts";

/**
 * Product pictures from MEDIA_DIR, so that a single instance shows them without nginx (where nginx runs in front,
 * it serves the same folder itself: deploy/nginx.conf). A name is its content's hash: cached for a year.
 */
export function pictureRoutes(config: Pick<Config, "MEDIA_DIR">) {
  return new Hono().get(`${PICTURE_PATH}:file`, async (c) => {
    const bytes = await readPicture(config.MEDIA_DIR, c.req.param("file"));
    if (!bytes) return c.notFound();
    return c.body(bytes, 200, {
      "Content-Type": "image/webp",
      "Cache-Control": PICTURE_CACHE_CONTROL,
      "X-Content-Type-Options": "nosniff",
    });
  });
}
