import { afterAll, describe, expect, test } from "bun:test";
import { checkSameAnswers } from "./same-answers.ts";

describe("the raw baseline's answers are checked against the app's", () => {
  const serve = (answer: (url: URL) => Response) =>
    Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => answer(new URL(request.url)) });
  const app = serve((url) => Response.json({ id: 7, path: url.pathname, items: [{ price: "1.00" }] }));
  const sameInOtherOrder = serve((url) =>
    Response.json({ items: [{ price: "1.00" }], path: url.pathname, id: 7 }),
  );
  const missingField = serve((url) => Response.json({ id: 7, path: url.pathname }));
  const otherStatus = serve(
    (url) =>
      new Response(JSON.stringify({ id: 7, path: url.pathname, items: [{ price: "1.00" }] }), {
        status: 404,
      }),
  );
  afterAll(() => {
    for (const server of [app, sameInOtherOrder, missingField, otherStatus]) server.stop(true);
  });
  const base = (server: { port?: number }) => `http://127.0.0.1:${server.port}`;

  test("the same JSON, whatever the order of its keys, passes", async () => {
    await checkSameAnswers(base(app), base(sameInOtherOrder), "/orders/7/");
  });

  test("a field the baseline leaves out stops the bench, naming the path and both answers", async () => {
    const checked = checkSameAnswers(base(app), base(missingField), "/orders/7/");
    await expect(checked).rejects.toThrow(
      /answers \/orders\/7\/ unlike the app:\napp: .*"items".*\nbaseline: /,
    );
  });

  test("the same body under another status stops it too", async () => {
    await expect(checkSameAnswers(base(app), base(otherStatus), "/orders/7/")).rejects.toThrow(
      /unlike the app/,
    );
  });
});
