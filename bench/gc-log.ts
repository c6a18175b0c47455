/** Garbage collections JavaScriptCore started, by kind. */
export interface Collections {
  full: number;
  eden: number;
}

const STARTED = /=> (FullCollection|EdenCollection)/g;

/**
 * Counts the collections in the text JavaScriptCore writes to standard error with `BUN_JSC_logGC=1` (a
 * `[GC<...>: START ... => FullCollection, ...` line for each), and hands every other line on, so that the
 * server's own errors still show. Its lines arrive in chunks that may split a line: the tail is kept for the next.
 */
export class GcLog {
  readonly collections: Collections = { full: 0, eden: 0 };
  private tail = "";

  constructor(private readonly passOn: (line: string) => void) {}

  write(chunk: string): void {
    const lines = (this.tail + chunk).split("\n");
    this.tail = lines.pop() ?? "";
    for (const line of lines) this.read(line);
  }

  private read(line: string): void {
    if (!isGcLine(line)) {
      this.passOn(line);
      return;
    }
    for (const [, kind] of line.matchAll(STARTED)) {
      if (kind === "FullCollection") this.collections.full++;
      else this.collections.eden++;
    }
  }
}

/** JavaScriptCore's lines, and the blank padding it writes between them. */
function isGcLine(line: string): boolean {
  return (
    line.trim() === "" ||
    line.startsWith("[GC<") ||
    line.startsWith("GC END") ||
    line.startsWith("Requesting GC")
  );
}
