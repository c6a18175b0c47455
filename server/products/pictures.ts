import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Sharp, SharpOptions } from "sharp";

/** The largest picture file the admin's form takes. */
export const PICTURE_MAX_BYTES = 5 * 1024 * 1024;
/** The widths of the WebP versions made of a picture (none wider than the upload). */
export const PICTURE_WIDTHS = [320, 640, 1280] as const;
/** A picture that decodes to more pixels than this is refused: a small file can unpack to gigabytes. */
export const PICTURE_MAX_PIXELS = 40_000_000;
/** Where pictures are served, by the app and by nginx straight from MEDIA_DIR. */
export const PICTURE_PATH = "/media/products/";
/** A year, and never revalidated: a file's name is its content's hash. */
export const PICTURE_CACHE_CONTROL = "public, max-age=31536000, immutable";

const FORMATS = new Set(["jpeg", "png", "webp"]);
const FILE_NAME = /^([0-9a-f]{64})-(\d{2,4})\.webp$/;

/** A stored picture: its upload's SHA-256 and the size of its largest version. */
export interface Picture {
  hash: string;
  width: number;
  height: number;
}

/** An upload that is not a picture the shop takes, in words for the admin's form. */
export class PictureRefused extends Error {}

/** The widths of a picture's versions whose largest is `width` wide. */
export function pictureWidths(width: number): number[] {
  return [...PICTURE_WIDTHS.filter((candidate) => candidate < width), width];
}

export const pictureFileName = (hash: string, width: number) => `${hash}-${width}.webp`;

/** The product JSON's `image`: the largest version, its size, and every version for `srcset`. */
export function presentPicture(product: {
  imageHash: string | null;
  imageWidth: number | null;
  imageHeight: number | null;
}) {
  if (!product.imageHash || !product.imageWidth || !product.imageHeight) return null;
  const url = (width: number) => `${PICTURE_PATH}${pictureFileName(product.imageHash as string, width)}`;
  return {
    url: url(product.imageWidth),
    width: product.imageWidth,
    height: product.imageHeight,
    srcset: pictureWidths(product.imageWidth)
      .map((width) => `${url(width)} ${width}w`)
      .join(", "),
  };
}

/**
 * Checks an upload by its content (not its name or type header: sharp reads the bytes), refuses what is not a
 * JPEG, PNG or WebP, is over 5 MB or decodes to over 40 megapixels, and writes its WebP versions into `mediaDir`
 * (turned upright by its EXIF orientation), named by the upload's SHA-256. Writing the same picture again
 * rewrites nothing.
 */
/**
 * sharp, loaded at the first picture: it is a native module the Node bundle leaves out (`build:node`), so a server
 * starts without it and only the picture form needs it.
 */
async function sharpOf(bytes: Uint8Array, options: SharpOptions): Promise<Sharp> {
  const { default: sharp } = await import("sharp");
  return sharp(bytes, options);
}

export async function savePicture(bytes: Uint8Array, mediaDir: string): Promise<Picture> {
  if (bytes.byteLength === 0) throw new PictureRefused("is empty: choose a JPEG, PNG or WebP picture");
  if (bytes.byteLength > PICTURE_MAX_BYTES)
    throw new PictureRefused("is larger than 5 MB: make it smaller and upload it again");
  const input = () => sharpOf(bytes, { limitInputPixels: PICTURE_MAX_PIXELS, failOn: "error" });
  // The header alone, read without the pixel limit (nothing is decoded yet), so a bomb is named as one.
  const meta = await (await sharpOf(bytes, { limitInputPixels: false })).metadata().catch(() => undefined);
  if (!meta?.format || !FORMATS.has(meta.format) || !meta.width || !meta.height)
    throw new PictureRefused("is not a JPEG, PNG or WebP picture");
  if (meta.width * meta.height > PICTURE_MAX_PIXELS)
    throw new PictureRefused(`has ${meta.width} × ${meta.height} pixels; at most 40 megapixels are taken`);
  const sideways = (meta.orientation ?? 1) >= 5;
  const [uprightWidth, uprightHeight] = sideways ? [meta.height, meta.width] : [meta.width, meta.height];
  const width = Math.min(uprightWidth, PICTURE_WIDTHS.at(-1) as number);
  const height = Math.max(1, Math.round((uprightHeight * width) / uprightWidth));
  const hash = createHash("sha256").update(bytes).digest("hex");
  await mkdir(mediaDir, { recursive: true });
  for (const versionWidth of pictureWidths(width)) {
    const target = join(mediaDir, pictureFileName(hash, versionWidth));
    if (existsSync(target)) continue;
    const partial = `${target}.${process.pid}.${crypto.randomUUID()}.partial`;
    try {
      await (await input()).rotate().resize({ width: versionWidth }).webp({ quality: 80 }).toFile(partial);
      await rename(partial, target);
    } catch (error) {
      await rm(partial, { force: true });
      if (error instanceof Error && /pixel limit|corrupt|premature|Invalid|unsupported/i.test(error.message))
        throw new PictureRefused("could not be read as a picture (it may be damaged)");
      throw error;
    }
  }
  return { hash, width, height };
}

/** Deletes a picture's versions (when no product shows it any more). */
export async function removePicture(picture: Picture, mediaDir: string): Promise<void> {
  await Promise.all(
    pictureWidths(picture.width).map((width) =>
      rm(join(mediaDir, pictureFileName(picture.hash, width)), { force: true }),
    ),
  );
}

/** A version's bytes by its URL's file name, or undefined for any other name (no path reaches outside). */
export async function readPicture(
  mediaDir: string,
  fileName: string,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (!FILE_NAME.test(fileName)) return undefined;
  return readFile(join(mediaDir, fileName)).catch(() => undefined);
}
