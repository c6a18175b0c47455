/** A number, or text that reads as one ("12.50", "-3"): a spreadsheet takes it as a value, not as a formula. */
const NUMERIC = /^-?\d+(\.\d+)?$/;
/** What a spreadsheet would run as a formula when it begins a cell. */
const FORMULA_START = /^[=+\-@\t\r]/;

export type CsvCell = string | number | null | undefined;

/**
 * One CSV cell (RFC 4180), with text that would start a formula neutralised by a leading apostrophe. Spreadsheets
 * fold look-alike characters (a fullwidth "＝" is "=" to them), so the test reads the text as Unicode's
 * compatibility normalisation (NFKC) makes it.
 */
export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && !NUMERIC.test(text) && FORMULA_START.test(text.normalize("NFKC")))
    text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(cells: CsvCell[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/** A whole table: the header row, then one line per row. */
export function csvTable(header: string[], rows: CsvCell[][]): string {
  return csvLine(header) + rows.map(csvLine).join("");
}
