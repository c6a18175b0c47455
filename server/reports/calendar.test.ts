import { describe, expect, test } from "bun:test";
import {
  bucketStart,
  formatDate,
  isTimeZone,
  localDayOf,
  nextBucketStart,
  offsetSegments,
  parseDate,
  startOfLocalDay,
} from "./calendar.ts";

const iso = (slot: number) => new Date(slot * 900_000).toISOString();
const day = (text: string) => parseDate(text) as number;

describe("local calendars over 15-minute UTC slots", () => {
  test("a local day starts at its midnight, found for whole, half and three-quarter hour offsets", () => {
    const starts = (zone: string, date: string) => [
      iso(startOfLocalDay(zone, day(date))),
      iso(startOfLocalDay(zone, day(date) + 1)),
    ];
    expect(starts("UTC", "2026-03-01")).toEqual(["2026-03-01T00:00:00.000Z", "2026-03-02T00:00:00.000Z"]);
    expect(starts("Asia/Kolkata", "2026-03-01")).toEqual([
      "2026-02-28T18:30:00.000Z",
      "2026-03-01T18:30:00.000Z",
    ]);
    expect(starts("Asia/Kathmandu", "2026-03-01")).toEqual([
      "2026-02-28T18:15:00.000Z",
      "2026-03-01T18:15:00.000Z",
    ]);
    expect(starts("America/Los_Angeles", "2026-07-04")).toEqual([
      "2026-07-04T07:00:00.000Z",
      "2026-07-05T07:00:00.000Z",
    ]);
  });

  test("days that a clock change makes 23 or 25 hours long, and a day whose midnight is skipped", () => {
    const hours = (zone: string, date: string) =>
      (startOfLocalDay(zone, day(date) + 1) - startOfLocalDay(zone, day(date))) / 4;
    expect(hours("Europe/Berlin", "2026-03-29")).toBe(23);
    expect(hours("Europe/Berlin", "2026-10-25")).toBe(25);
    expect(hours("America/New_York", "2026-11-01")).toBe(25);
    expect(hours("Australia/Lord_Howe", "2026-04-05")).toBe(24.5);
    // Chile moves its clocks at midnight: 2026-09-06 begins at 01:00 local, 04:00 UTC.
    expect(iso(startOfLocalDay("America/Santiago", day("2026-09-06")))).toBe("2026-09-06T04:00:00.000Z");
  });

  test("a range is split where the offset changes, each part mapping slots to their local dates", () => {
    const from = startOfLocalDay("Europe/Berlin", day("2026-03-28"));
    const to = startOfLocalDay("Europe/Berlin", day("2026-03-31"));
    const segments = offsetSegments("Europe/Berlin", from, to);
    expect(segments.map((segment) => [iso(segment.fromSlot), segment.offsetSlots])).toEqual([
      ["2026-03-27T23:00:00.000Z", 4],
      ["2026-03-29T01:00:00.000Z", 8],
    ]);
    // 00:30 UTC on the 29th is 01:30 in Berlin; 23:30 UTC on the 29th is 01:30 on the 30th.
    const slotAt = (text: string) => Date.parse(text) / 900_000;
    expect(formatDate(localDayOf(slotAt("2026-03-29T00:30:00Z"), 4))).toBe("2026-03-29");
    expect(formatDate(localDayOf(slotAt("2026-03-29T23:30:00Z"), 8))).toBe("2026-03-30");
  });

  test("weeks start on Monday and months on the 1st", () => {
    expect(formatDate(bucketStart(day("2026-11-25"), "week"))).toBe("2026-11-23");
    expect(formatDate(bucketStart(day("2026-11-23"), "week"))).toBe("2026-11-23");
    expect(formatDate(bucketStart(day("2026-11-22"), "week"))).toBe("2026-11-16");
    expect(formatDate(bucketStart(day("2026-11-25"), "month"))).toBe("2026-11-01");
    expect(formatDate(nextBucketStart(day("2026-12-01"), "month"))).toBe("2027-01-01");
    expect(formatDate(nextBucketStart(day("2024-02-01"), "month"))).toBe("2024-03-01");
  });

  test("dates and zones are read strictly", () => {
    expect(parseDate("2026-02-29")).toBeUndefined();
    expect(parseDate("2026-2-1")).toBeUndefined();
    expect(formatDate(day("2024-02-29"))).toBe("2024-02-29");
    expect(isTimeZone("Asia/Kathmandu")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(isTimeZone("../../etc/passwd")).toBe(false);
  });
});
