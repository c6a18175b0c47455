import { describe, expect, test } from "bun:test";
import { Hono } from "hono";
import { SimulatedFaults } from "./simulator-faults.ts";

/** A simulator of one API call that counts the calls it did its work for. */
function simulator() {
  const faults = new SimulatedFaults();
  const app = new Hono();
  let worked = 0;
  faults.route(app);
  app.use(
    "/v1/*",
    faults.middleware((c) => c.json({ error: "outage" }, 500)),
  );
  app.get("/v1/thing", (c) => {
    worked++;
    return c.json({ ok: true });
  });
  const ask = (body: unknown) =>
    app.request("/__simulator/faults", {
      method: "POST",
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  return { app, ask, worked: () => worked };
}

describe("a payment simulator's faults", () => {
  test("the next `count` calls fail with the provider's 500 and do no work; then it answers again", async () => {
    const { app, ask, worked } = simulator();
    expect((await ask({ mode: "error", count: 2 })).status).toBe(200);
    expect((await app.request("/v1/thing")).status).toBe(500);
    expect((await app.request("/v1/thing")).status).toBe(500);
    expect(worked()).toBe(0);
    expect((await app.request("/v1/thing")).status).toBe(200);
    expect(worked()).toBe(1);
  });

  test("one call fails when no count is given", async () => {
    const { app, ask } = simulator();
    await ask({ mode: "error" });
    expect((await app.request("/v1/thing")).status).toBe(500);
    expect((await app.request("/v1/thing")).status).toBe(200);
  });

  test("an unknown mode, a count that is not a whole number >= 1, or a body that is not JSON is refused with 400", async () => {
    const { app, ask } = simulator();
    for (const body of [
      { mode: "explode" },
      { mode: "error", count: 0 },
      { mode: "error", count: "2" },
      "{",
    ]) {
      const answer = await ask(body);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { error: string }).error).toContain(
        "mode must be one of error, hang, hang-after",
      );
    }
    expect((await app.request("/v1/thing")).status).toBe(200);
  });
});
