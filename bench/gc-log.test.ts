import { describe, expect, test } from "bun:test";
import { GcLog } from "./gc-log.ts";

const FULL =
  "[GC<0x21f8f818118>: START M 34664kb => FullCollection, a=0kb hf=0.000 mu=0.600 v=0kb (C:0 M:0 P1:0) o=0 b=216 i#1:N<CsMsrShDMsm(0)SrbBcs> 1452+0 p=1.1ms...]";
const EDEN =
  "[GC<0x21f8f818118>: START M 34806kb => EdenCollection, a=0kb hf=0.000 mu=0.600 v=0kb (C:0 M:0 P1:0) o=14 b=293 => 20369kb, p=1.9ms (max 23.9) END]";
const MARKING =
  "[GC<0x24b2a818118>: M a=372kb hf=0.180 mu=0.492 v=4315kb (C:1513 M:0 P1:2802) o=3 b=1 0+8 p=0.93ms...]";

describe("the server's garbage-collection log", () => {
  test("each collection JavaScriptCore starts is counted once, by kind, and its marking lines are not", () => {
    const log = new GcLog(() => undefined);
    log.write(
      [
        FULL,
        MARKING,
        "GC END!",
        "[GC<0x21f8f818118>: epilogue 0.016ms]",
        "Requesting GC because bytes allocated this cycle: 21552668 exceed bytes allowed: 21547395",
        EDEN,
        EDEN,
        "",
      ].join("\n"),
    );
    expect(log.collections).toEqual({ full: 1, eden: 2 });
  });

  test("a line split across chunks is counted when its end arrives", () => {
    const log = new GcLog(() => undefined);
    log.write(FULL.slice(0, 40));
    expect(log.collections.full).toBe(0);
    log.write(`${FULL.slice(40)}\n`);
    expect(log.collections).toEqual({ full: 1, eden: 0 });
  });

  test("the server's own lines are handed on, JavaScriptCore's and its blank padding are not", () => {
    const passed: string[] = [];
    const log = new GcLog((line) => passed.push(line));
    const error = '{"level":"error","msg":"database unreachable"}';
    log.write(`${FULL}\n${" ".repeat(300)}\n${error}\nGC END!\n`);
    expect(passed).toEqual([error]);
  });
});
