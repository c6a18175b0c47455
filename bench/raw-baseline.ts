import { createPool } from "mysql2/promise";
import { formatMinor } from "../server/shared/money.ts";

/**
 * The raw baseline for the products page: a bare Bun.serve handler, the same two SQL statements through
 * mysql2 and the same JSON, with no framework and no ORM.
 */
const pool = createPool({ uri: process.env.DATABASE_URL as string, connectionLimit: 10, timezone: "Z" });
const server = Bun.serve({
  port: Number(process.env.PORT),
  hostname: "127.0.0.1",
  async fetch(request) {
    const url = new URL(request.url);
    const page = Number(url.searchParams.get("page") ?? 1);
    const pageSize = Math.min(Number(url.searchParams.get("page_size") ?? 20), 100);
    const offset = (page - 1) * pageSize;
    const [rows] = (await pool.query(
      "SELECT p.id, p.name, p.description, p.price_minor, p.currency FROM products p " +
        "JOIN (SELECT id FROM products WHERE active = true ORDER BY id LIMIT ? OFFSET ?) page_ids ON p.id = page_ids.id " +
        "ORDER BY p.id",
      [pageSize, offset],
    )) as unknown as [
      { id: number; name: string; description: string; price_minor: number; currency: string }[],
    ];
    const count = await countAround(offset, pageSize, rows);
    const link = (target: number) => `/api/v1/products/?page=${target}&page_size=${pageSize}`;
    return Response.json({
      count,
      page,
      page_size: pageSize,
      next: page * pageSize < count ? link(page + 1) : null,
      previous: page > 1 ? link(page - 1) : null,
      results: rows.map((row) => ({
        id: row.id,
        name: row.name,
        description: row.description,
        price: formatMinor(row.price_minor, row.currency),
        currency: row.currency,
      })),
    });
  },
});
/** The same count as the app's: the first full page counts all, a later one only the rows after it. */
async function countAround(offset: number, pageSize: number, rows: { id: number }[]): Promise<number> {
  if (rows.length < pageSize && (rows.length > 0 || offset === 0)) return offset + rows.length;
  const last = rows.at(-1);
  if (!last || offset === 0) {
    const [[all]] = (await pool.query(
      "SELECT COUNT(*) AS count FROM products WHERE active = true",
    )) as unknown as [[{ count: number }]];
    return Number(all.count);
  }
  const [[after]] = (await pool.query(
    "SELECT COUNT(*) AS count FROM products WHERE active = true AND id > ?",
    [last.id],
  )) as unknown as [[{ count: number }]];
  return offset + rows.length + Number(after.count);
}

console.log(`raw baseline on ${server.url}`);
