import { afterAll, afterEach, beforeAll } from "bun:test";
import { GlobalRegistrator } from "@happy-dom/global-registrator";

export interface FakeCall {
  method: string;
  path: string;
  body: unknown;
  authorization: string | null;
}

type Handler = (
  call: FakeCall,
) => { status: number; body?: unknown } | Promise<{ status: number; body?: unknown }>;

/**
 * A DOM for component tests, registered only while this file's tests run: `bun test` runs every file in
 * one process, and the server tests after these need the real fetch, Request and Response back.
 * fetch is answered by `handler`, standing in for the API at the HTTP boundary.
 */
export function useDom(handler: () => Handler) {
  const calls: FakeCall[] = [];
  let realFetch: typeof fetch;
  beforeAll(() => {
    realFetch = globalThis.fetch;
    GlobalRegistrator.register({ url: "http://shop.test/" });
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), "http://shop.test");
      const headers = new Headers(init?.headers);
      const call: FakeCall = {
        method: init?.method ?? "GET",
        path: url.pathname + url.search,
        body: init?.body ? JSON.parse(String(init.body)) : undefined,
        authorization: headers.get("Authorization"),
      };
      calls.push(call);
      const answer = await handler()(call);
      const problem = answer.status >= 400;
      return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
        status: answer.status,
        headers: { "Content-Type": problem ? "application/problem+json" : "application/json" },
      });
    }) as typeof fetch;
  });
  afterEach(() => {
    calls.length = 0;
    localStorage.clear();
    document.body.innerHTML = "";
  });
  afterAll(async () => {
    await GlobalRegistrator.unregister();
    globalThis.fetch = realFetch;
  });
  return calls;
}

export const problem = (status: number, detail: string, extra: Record<string, unknown> = {}) => ({
  status,
  body: { type: "about:blank", title: "Error", status, detail, ...extra },
});
