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

/** A thing the customer does (pay, cancel, sign in): whether it is under way, and how it failed. */
export interface Action<A extends unknown[]> {
  busy: ReadonlySignal<boolean>;
  failure: ReadonlySignal<ApiError | null>;
  /** Starts it unless it is already under way; a failure is kept in `failure`, never thrown. */
  run: (...args: A) => Promise<void>;
}

/**
 * `perform` as an Action. With `busyAfterSuccess`, a success leaves it busy: the page is leaving (to Stripe's
 * checkout), and the button must not take a second click meanwhile.
 */
export function useAction<A extends unknown[]>(
  perform: (...args: A) => Promise<unknown>,
  options: { busyAfterSuccess?: boolean } = {},
): Action<A> {
  const busy = useSignal(false);
  const failure = useSignal<ApiError | null>(null);
  const run = async (...args: A) => {
    if (busy.value) return;
    busy.value = true;
    failure.value = null;
    try {
      await perform(...args);
      if (!options.busyAfterSuccess) busy.value = false;
    } catch (error) {
      failure.value = error as ApiError;
      busy.value = false;
    }
  };
  return { busy, failure, run };
}
