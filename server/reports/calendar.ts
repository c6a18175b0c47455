/**
 * Local calendars over the 15-minute UTC slots that the rollups count in (slot = seconds since 1970 / 900).
 * Every time zone in use today is offset from UTC by whole quarter hours and changes offset on a quarter hour,
 * so the start of any local day is a slot boundary and a local day, week or month is a whole number of slots.
 */

const SLOT_SECONDS = 900;
const SLOT_MS = SLOT_SECONDS * 1000;
export const SLOTS_PER_DAY = 96;
const DAY_MS = 86_400_000;

export type Interval = "day" | "week" | "month";

/** A calendar date as days since 1970-01-01 (the same number in every zone). */
export type DayNumber = number;

export function parseDate(text: string): DayNumber | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  return ms / DAY_MS;
}

export function formatDate(day: DayNumber): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Whether `zone` is an IANA time zone name the runtime knows (`Asia/Kolkata`, `UTC`, ...). */
export function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(zone)) return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at an instant, in slots (Asia/Kathmandu: 23). */
export function offsetSlotsAt(zone: string, instantMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(instantMs)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const local = Date.UTC(
    parts.year as number,
    (parts.month as number) - 1,
    parts.day as number,
    parts.hour as number,
    parts.minute as number,
    parts.second as number,
  );
  return Math.round((local - Math.floor(instantMs / 1000) * 1000) / SLOT_MS);
}

/** Today's date in a zone. */
export function todayIn(zone: string, now = Date.now()): DayNumber {
  return localDayOf(Math.floor(now / SLOT_MS), offsetSlotsAt(zone, now));
}

/** Reads a report interval; anything else is `undefined`. */
export function intervalOf(text: string | undefined): Interval | undefined {
  return text === "day" || text === "week" || text === "month" ? text : undefined;
}

/** The first slot of a local date: its midnight, or the first instant after it when a clock change skips it. */
export function startOfLocalDay(zone: string, day: DayNumber): number {
  const midnightSlot = day * SLOTS_PER_DAY;
  // Try the offsets in force around that midnight; the first slot whose local date is `day` wins.
  const candidates = new Set<number>();
  for (const probe of [midnightSlot - SLOTS_PER_DAY / 2, midnightSlot, midnightSlot + SLOTS_PER_DAY / 2]) {
    candidates.add(midnightSlot - offsetSlotsAt(zone, probe * SLOT_MS));
  }
  let first = Number.POSITIVE_INFINITY;
  for (const slot of candidates) {
    const k = offsetSlotsAt(zone, slot * SLOT_MS);
    const localSlot = slot + k;
    if (Math.floor(localSlot / SLOTS_PER_DAY) === day && localSlot === midnightSlot)
      first = Math.min(first, slot);
  }
  if (Number.isFinite(first)) return first;
  // Midnight does not exist that day (a clock change at 00:00): the day starts where the change lands.
  let low = midnightSlot - SLOTS_PER_DAY;
  let high = midnightSlot + SLOTS_PER_DAY;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    const localDay = Math.floor((middle + offsetSlotsAt(zone, middle * SLOT_MS)) / SLOTS_PER_DAY);
    if (localDay >= day) high = middle;
    else low = middle;
  }
  return high;
}

/** A run of slots over which the zone keeps one offset. */
export interface Segment {
  fromSlot: number;
  toSlot: number;
  offsetSlots: number;
}

interface Change {
  slot: number;
  offsetSlots: number;
}

const changesByZoneYear = new Map<string, Change[]>();

/**
 * The zone's offset changes in a UTC year, found by sampling the offset daily and bisecting each change to its
 * slot (no zone changes its offset twice within a day), and kept: a past year's changes never change, and a
 * server restart picks up new time zone data.
 */
function changesInYear(zone: string, year: number): Change[] {
  const key = `${zone}|${year}`;
  let changes = changesByZoneYear.get(key);
  if (changes) return changes;
  changes = [];
  const first = Date.UTC(year, 0, 1) / SLOT_MS;
  const end = Date.UTC(year + 1, 0, 1) / SLOT_MS;
  let offset = offsetSlotsAt(zone, first * SLOT_MS);
  for (let probe = first; probe < end; probe += SLOTS_PER_DAY) {
    const next = Math.min(probe + SLOTS_PER_DAY, end);
    const nextOffset = offsetSlotsAt(zone, next * SLOT_MS);
    if (nextOffset === offset) continue;
    let low = probe;
    let high = next;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (offsetSlotsAt(zone, middle * SLOT_MS) === offset) low = middle;
      else high = middle;
    }
    changes.push({ slot: high, offsetSlots: nextOffset });
    offset = nextOffset;
  }
  if (changesByZoneYear.size > 10_000) changesByZoneYear.clear();
  changesByZoneYear.set(key, changes);
  return changes;
}

/** Splits [fromSlot, toSlot) where the zone's offset changes. */
export function offsetSegments(zone: string, fromSlot: number, toSlot: number): Segment[] {
  const segments: Segment[] = [];
  let start = fromSlot;
  let offset = offsetSlotsAt(zone, fromSlot * SLOT_MS);
  const firstYear = new Date(fromSlot * SLOT_MS).getUTCFullYear();
  const lastYear = new Date((toSlot - 1) * SLOT_MS).getUTCFullYear();
  for (let year = firstYear; year <= lastYear; year++) {
    for (const change of changesInYear(zone, year)) {
      if (change.slot <= fromSlot || change.slot >= toSlot) continue;
      segments.push({ fromSlot: start, toSlot: change.slot, offsetSlots: offset });
      start = change.slot;
      offset = change.offsetSlots;
    }
  }
  segments.push({ fromSlot: start, toSlot, offsetSlots: offset });
  return segments;
}

/** The local date of a slot in a segment: what the rollup query computes in SQL. */
export function localDayOf(slot: number, offsetSlots: number): DayNumber {
  return Math.floor((slot + offsetSlots) / SLOTS_PER_DAY);
}

/** The first day of the bucket holding `day`: itself, the Monday of its week, or the 1st of its month. */
export function bucketStart(day: DayNumber, interval: Interval): DayNumber {
  if (interval === "day") return day;
  if (interval === "week") return day - ((new Date(day * DAY_MS).getUTCDay() + 6) % 7);
  const date = new Date(day * DAY_MS);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / DAY_MS;
}

/** The first day of the bucket after the one starting on `start`. */
export function nextBucketStart(start: DayNumber, interval: Interval): DayNumber {
  if (interval === "day") return start + 1;
  if (interval === "week") return start + 7;
  const date = new Date(start * DAY_MS);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / DAY_MS;
}
