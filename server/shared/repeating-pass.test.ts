import { expect, test } from "bun:test";
import { waitFor } from "../../tests/waiting.ts";
import { RepeatingPass } from "./repeating-pass.ts";

test("a pass runs every interval, never two at once; a failure is handed on and the next pass runs; stop waits for the pass under way", async () => {
  let running = 0;
  let most = 0;
  let passes = 0;
  const failures: unknown[] = [];
  const repeating = new RepeatingPass(
    async () => {
      running++;
      most = Math.max(most, running);
      passes++;
      await Bun.sleep(30);
      running--;
      if (passes === 1) throw new Error("the first pass fails");
    },
    5,
    (error) => failures.push(error),
  );
  repeating.start({ now: true });
  expect(passes).toBe(1);
  await waitFor(async () => passes >= 3, "three passes");
  await repeating.stop();
  const stoppedAt = passes;
  expect(running).toBe(0);
  expect(most).toBe(1);
  expect(failures.map(String)).toEqual(["Error: the first pass fails"]);
  await Bun.sleep(30);
  expect(passes).toBe(stoppedAt);
});
