import { createHmac, timingSafeEqual } from "node:crypto";
import { createPool } from "mysql2/promise";
import { availabilityOf } from "../db/stock.ts";
import { checkoutProvider } from "../server/payments/provider.ts";
import { presentPicture } from "../server/products/pictures.ts";
import { formatMinor } from "../server/shared/money.ts";

/**
 * The raw baselines for the products page and a customer's own order: a bare Bun.serve handler, the same SQL
 * statements through mysql2 and the same JSON (bench/run.ts checks that both answer alike before measuring), with
 * no framework and no ORM (the order's bearer token checked with one HMAC, as the app's JWT check does).
 */
// trace: false as the app's pool (db/open-store.ts), so that the baseline and the app pay the same per statement.
const pool = createPool({
  uri: process.env.DATABASE_URL as string,
  connectionLimit: 10,
  timezone: "Z",
  trace: false,
});
const secret = process.env.JWT_SECRET as string;
const server = Bun.serve({
  port: Number(process.env.PORT),
  hostname: "127.0.0.1",
  async fetch(request) {
    const url = new URL(request.url);
    const ownOrder = /^\/api\/v1\/orders\/(\d+)\/?$/.exec(url.pathname);
    if (ownOrder) return orderOf(Number(ownOrder[1]), request.headers.get("Authorization"));
    const page = Number(url.searchParams.get("page") ?? 1);
    const pageSize = Math.min(Number(url.searchParams.get("page_size") ?? 20), 100);
    const offset = (page - 1) * pageSize;
    const [rows] = (await pool.query(
      "SELECT p.id, p.name, p.description, p.price_minor, p.currency, p.stock, p.stock_reserved, p.image_hash, " +
        "p.image_width, p.image_height FROM products p " +
        "JOIN (SELECT id FROM products WHERE active = true ORDER BY id LIMIT ? OFFSET ?) page_ids ON p.id = page_ids.id " +
        "ORDER BY p.id",
      [pageSize, offset],
    )) as unknown as [ProductRow[]];
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
        ...availabilityOf({ stock: row.stock, stockReserved: row.stock_reserved }),
        image: pictureOf(row),
      })),
    });
  },
});
interface Picture {
  image_hash: string | null;
  image_width: number | null;
  image_height: number | null;
}

interface ProductRow extends Picture {
  id: number;
  name: string;
  description: string;
  price_minor: number;
  currency: string;
  stock: number | null;
  stock_reserved: number;
}

const pictureOf = (row: Picture) =>
  presentPicture({ imageHash: row.image_hash, imageWidth: row.image_width, imageHeight: row.image_height });

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

/** The user a bearer token names, when its HS256 signature and expiry hold. */
function userOf(authorization: string | null): number | undefined {
  const [header, payload, signature] = (authorization?.replace(/^Bearer /, "") ?? "").split(".");
  if (!header || !payload || !signature) return undefined;
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url");
  if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature)))
    return undefined;
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  return claims.exp > Date.now() / 1000 ? Number(claims.sub) : undefined;
}

const CRM = (column: string, event: string) =>
  `CASE WHEN e.id IS NULL THEN o.${column} ELSE e.${event} END AS ${column}`;

interface OrderRow extends Picture {
  id: number;
  status: string;
  quantity: number;
  unit_price_minor: number;
  amount_minor: number;
  refunded_minor: number;
  currency: string;
  crm_sync_status: string;
  created_at: Date;
  paid_at: Date | null;
  cancelled_at: Date | null;
  cancel_reason: string | null;
  payment_session_id: string | null;
  payment_status: string;
  payment_session_expires_at: Date | null;
  p_id: number;
  p_name: string;
  p_price_minor: number;
  p_currency: string;
}

/** The app's own-order read: the same statement (one for a one-line order without refunds) and the same JSON. */
async function orderOf(orderId: number, authorization: string | null): Promise<Response> {
  const userId = userOf(authorization);
  if (userId === undefined) return Response.json({ detail: "Authentication is required." }, { status: 401 });
  const [[row]] = (await pool.query(
    `SELECT o.id, o.status, o.quantity, o.unit_price_minor, o.amount_minor, o.currency, o.item_count,
      o.refund_count, o.refunded_minor, o.created_at, o.paid_at, o.cancelled_at, o.cancel_reason,
      o.payment_session_id, o.payment_session_expires_at, o.payment_status, ${CRM("crm_sync_status", "status")},
      p.id AS p_id, p.name AS p_name, p.price_minor AS p_price_minor, p.currency AS p_currency, p.image_hash,
      p.image_width, p.image_height
    FROM orders o JOIN products p ON p.id = o.product_id
    LEFT JOIN crm_events e ON e.kind = 'order' AND e.subject_id = o.id
    WHERE o.id = ? AND o.user_id = ? LIMIT 1`,
    [orderId, userId],
  )) as unknown as [[OrderRow | undefined]];
  if (!row) return Response.json({ detail: "No such order." }, { status: 404 });
  const order = row;
  const money = (minor: number) => formatMinor(minor, order.currency);
  const time = (date: Date | null) => (date ? date.toISOString() : null);
  const product = {
    id: order.p_id,
    name: order.p_name,
    price: money(order.unit_price_minor),
    currency: order.currency,
  };
  return Response.json({
    id: order.id,
    status: order.status,
    items: [
      {
        product: {
          ...product,
          price: formatMinor(order.p_price_minor, order.p_currency),
          image: pictureOf(order),
        },
        quantity: order.quantity,
        unit_price: money(order.unit_price_minor),
        amount: money(order.amount_minor),
      },
    ],
    product,
    quantity: order.quantity,
    amount: money(order.amount_minor),
    currency: order.currency,
    crm_sync_status: order.crm_sync_status,
    created_at: time(order.created_at),
    paid_at: time(order.paid_at),
    refunded_amount: money(order.refunded_minor),
    cancelled_at: time(order.cancelled_at),
    cancellation_reason: order.cancel_reason,
    refunds: [],
    payment: {
      provider: order.payment_session_id ? checkoutProvider(order.payment_session_id) : null,
      session_id: order.payment_session_id,
      status: order.payment_status,
      expires_at: time(order.payment_session_expires_at),
      paid_at: time(order.paid_at),
    },
  });
}

console.log(`raw baseline on ${server.url}`);
