import { createHash } from "node:crypto";
import type { Store } from "../../db/store.ts";
import { type PageParams, pageEnvelope } from "../http/pagination.ts";
import { presentProduct } from "./presenter.ts";

/** Browsers and nginx may keep a page this long; with CATALOG_CHECK_MS (250) a change shows within 1.25 s. */
export const CATALOG_CACHE_CONTROL = "public, max-age=1";
/** Page numbers and sizes come from clients: past this many distinct pages, the memory starts over. */
const MAX_PAGES = 1000;

export interface CatalogPage {
  json: string;
  etag: string;
}

/**
 * The products pages, answered from memory while the catalog has not changed. Every write to `products` moves a
 * counter in the database (in the same transaction), which this instance reads at most every `checkEveryMs`, on the request
 * that finds it due; a moved counter drops every page. The instance that changes a product drops them at once.
 * Orders are always priced from the database, never from here.
 */
export class Catalog {
  private pages = new Map<string, CatalogPage>();
  private version: number | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private checking: Promise<void> | undefined;
  /** Moves whenever pages are dropped, so that a page read before cannot be kept after. */
  private generation = 0;

  constructor(
    private readonly store: Store,
    /** CATALOG_CHECK_MS: how stale a page can be, at most; 0 asks on every request. */
    private readonly checkEveryMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async page(params: PageParams): Promise<CatalogPage> {
    await this.checkIfDue();
    const key = `${params.page}/${params.pageSize}`;
    const kept = this.pages.get(key);
    if (kept) return kept;
    const generation = this.generation;
    const rows = await this.store.listActiveProducts(params);
    const json = JSON.stringify(pageEnvelope("/api/v1/products/", params, rows, presentProduct));
    const page = { json, etag: `"${createHash("sha256").update(json).digest("base64url").slice(0, 27)}"` };
    if (generation === this.generation) {
      if (this.pages.size >= MAX_PAGES) this.pages.clear();
      this.pages.set(key, page);
    }
    return page;
  }

  /** This instance changed a product: its next request reads the database, and the counter right after. */
  changed(): void {
    this.drop();
    this.checkedAt = Number.NEGATIVE_INFINITY;
  }

  private drop(): void {
    this.pages.clear();
    this.generation++;
  }

  private checkIfDue(): Promise<void> {
    if (this.now() - this.checkedAt < this.checkEveryMs) return Promise.resolve();
    this.checking ??= (async () => {
      const started = this.now();
      const version = await this.store.catalogVersion();
      if (version !== this.version) {
        this.version = version;
        this.drop();
      }
      this.checkedAt = started;
    })().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }
}

/** If-None-Match holds the page's ETag (weak or strong, alone, in a list, or `*`). */
export function stillFresh(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .some((tag) => tag === etag || tag === "*");
}
