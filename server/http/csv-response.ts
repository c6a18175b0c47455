export function csvHeaders(filename: string): Record<string, string> {
  return {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="${filename}"`,
  };
}

/** Whether the client asked for CSV: `?format=csv`, or an Accept header that prefers text/csv to JSON. */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === "csv";
  const types = (accept ?? "").toLowerCase();
  return types.includes("text/csv") && !types.startsWith("application/json");
}
