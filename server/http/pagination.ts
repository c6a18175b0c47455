import type { Page, PageRequest } from "../../db/store.ts";
import { MAX_PAGE_SIZE } from "./schemas.ts";

export const DEFAULT_PAGE_SIZE = 20;

export interface PageParams extends PageRequest {
  page: number;
  pageSize: number;
}

/** page_size above the cap is lowered to it, as DRF's max_page_size does. */
export function pageParams(query: { page?: number; page_size?: number }): PageParams {
  const page = query.page ?? 1;
  const pageSize = Math.min(query.page_size ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  return { page, pageSize, limit: pageSize, offset: (page - 1) * pageSize };
}

/** DRF-style page envelope; next/previous are relative links so they stay right behind any proxy. */
export function pageEnvelope<T, R>(path: string, params: PageParams, page: Page<T>, present: (row: T) => R) {
  const link = (target: number) => `${path}?page=${target}&page_size=${params.pageSize}`;
  const lastPage = Math.max(1, Math.ceil(page.count / params.pageSize));
  return {
    count: page.count,
    page: params.page,
    page_size: params.pageSize,
    next: params.page < lastPage ? link(params.page + 1) : null,
    previous: params.page > 1 ? link(Math.min(params.page - 1, lastPage)) : null,
    results: page.rows.map(present),
  };
}
