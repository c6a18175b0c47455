import { expect, test } from "bun:test";
import { join } from "node:path";
import { freshTempDir } from "../tests/support.ts";
import { startCrmStandIn } from "./crm-stand-in.ts";

const post = async (url: string) =>
  (
    await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ title: "Order", body: "paid", userId: 1 }),
    })
  ).json() as Promise<{ id: number }>;

test("with a state file, the CRM stand-in never hands out a reference twice across restarts", async () => {
  const stateFile = join(freshTempDir(), "crm-stand-in.json");
  const before = startCrmStandIn({ stateFile });
  const first = await post(before.url);
  const second = await post(before.url);
  await before.stop();
  const after = startCrmStandIn({ stateFile });
  const third = await post(after.url);
  await after.stop();
  expect([first.id, second.id, third.id]).toEqual([252, 253, 254]);
});
