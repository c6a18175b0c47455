import { type ReadonlySignal, type Signal, useComputed, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { ApiError } from "./api.ts";

/** What a page shows while it loads something: the data, the failure in words, and whether it is under way. */
export interface Resource<T> {
  /** Writable, so a page can show a change it made (a cancelled order) without loading again. */
  data: Signal<T | null>;
  error: ReadonlySignal<string | null>;
  loading: ReadonlySignal<boolean>;
}

/**
 * Loads with `load` when the page opens and again whenever `key` changes; an answer that arrives after the key
 * moved on is dropped. A load that never settles (the page went elsewhere) leaves it loading. The key alone
 * says when to load again: `load` is a new function on every render.
 */
export function useResource<T>(load: () => Promise<T>, key: unknown): Resource<T> {
  const data = useSignal<T | null>(null);
  const error = useSignal<string | null>(null);
  const loading = useComputed(() => data.value === null && error.value === null);
  useEffect(() => {
    let current = true;
    data.value = null;
    error.value = null;
    load().then(
      (value) => {
        if (current) data.value = value;
      },
      (failure: ApiError) => {
        if (current) error.value = failure.detail;
      },
    );
    return () => {
      current = false;
    };
  }, [key]);
  return { data, error, loading };
}
