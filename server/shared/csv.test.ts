import { describe, expect, test } from "bun:test";
import { csvCell, csvLine } from "./csv.ts";

describe("CSV cells", () => {
  test("text that a spreadsheet would run as a formula starts with an apostrophe", () => {
    for (const formula of ["=1+1", "+1", "-cmd", "@SUM(A1)", "\tx", "\rx"])
      expect(csvCell(formula)).toMatch(/^"?'/);
  });

  test("look-alikes that a spreadsheet folds into a formula's first character are neutralised too", () => {
    // Fullwidth equals, plus, hyphen-minus and commercial at (U+FF1D, U+FF0B, U+FF0D, U+FF20).
    for (const formula of ['＝HYPERLINK("http://evil.example")', "＋1", "－1+2", "＠SUM(A1)"])
      expect(csvCell(formula).replace(/^"/, "")).toStartWith("'");
  });

  test("numbers, and text that reads as one, stay values", () => {
    expect(csvCell(-3)).toBe("-3");
    expect(csvCell("12.50")).toBe("12.50");
    expect(csvCell("-3")).toBe("-3");
  });

  test("quotes, commas and line breaks are quoted as RFC 4180 says; empty values are empty", () => {
    expect(csvCell('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
    expect(csvLine(["a", null, undefined, 1])).toBe("a,,,1\r\n");
  });
});
