import { createConnection, type Pool } from "mysql2/promise";

const BATCH = 5000;

/** Drops and creates the benchmark's database, whose name must be a plain word. */
export async function recreateDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  if (!/^\w+$/.test(name)) throw new Error(`unexpected database name in BENCH_MYSQL_URL: ${name}`);
  target.pathname = "/";
  const connection = await createConnection(target.toString());
  await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await connection.query(`CREATE DATABASE \`${name}\``);
  await connection.end();
}

/** Fills an empty, migrated database fast with multi-row INSERTs. Every product is active. */
export async function seedProducts(pool: Pool, count: number): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    const rows = [];
    for (let index = start; index < Math.min(count, start + BATCH); index++) {
      rows.push([
        `Bench product ${index + 1}`,
        `Generated product number ${index + 1}.`,
        100 + ((index * 37) % 9900),
        "usd",
        true,
        new Date(),
        new Date(),
      ]);
    }
    await pool.query(
      "INSERT INTO products (name, description, price_minor, currency, active, created_at, updated_at) VALUES ?",
      [rows],
    );
  }
}

/** Products with stock to spare (a billion units each) for the purchase scenarios; answers their ids. */
export async function benchProducts(pool: Pool, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let index = 0; index < count; index++) {
    const [result] = (await pool.query(
      `INSERT INTO products (name, description, price_minor, currency, active, stock, created_at, updated_at)
        VALUES (?, 'Stocked for the purchase scenarios.', ?, 'usd', true, 1000000000, NOW(3), NOW(3))`,
      [`Bench stocked product ${crypto.randomUUID().slice(0, 8)}`, 500 + index * 250],
    )) as unknown as [{ insertId: number }];
    ids.push(result.insertId);
  }
  return ids;
}

/** Customers share one precomputed password hash, so seeding does not spend minutes in argon2. */
export async function seedCustomers(pool: Pool, count: number, passwordHash: string): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    const rows = [];
    for (let index = start; index < Math.min(count, start + BATCH); index++) {
      rows.push([
        `bench-${index + 1}@example.test`,
        `Bench customer ${index + 1}`,
        passwordHash,
        "customer",
        new Date(),
      ]);
    }
    await pool.query("INSERT INTO users (email, name, password_hash, role, created_at) VALUES ?", [rows]);
  }
}

const YEAR_MS = 365 * 86_400_000;
/** The golden ratio's fraction: index * it mod 1 spreads any number of orders evenly over the year. */
const SPREAD = 0.6180339887498949;

/**
 * Orders spread over the customers and products and over the year before `now` (a low-discrepancy sequence, so
 * the first 100,000 and the first 1,000,000 cover the same year, the second ten times as densely); every other one
 * is paid a minute after it was made and already synced, the others unpaid with their units given back.
 */
export async function seedOrders(
  pool: Pool,
  from: number,
  to: number,
  customers: number,
  products: number,
  now = Date.now(),
): Promise<void> {
  const [[firstUser]] = (await pool.query(
    "SELECT MIN(id) AS id FROM users WHERE role = 'customer'",
  )) as unknown as [[{ id: number }]];
  const [[firstProduct]] = (await pool.query("SELECT MIN(id) AS id FROM products")) as unknown as [
    [{ id: number }],
  ];
  for (let start = from; start < to; start += BATCH) {
    const rows = [];
    for (let index = start; index < Math.min(to, start + BATCH); index++) {
      const price = 100 + (((index % products) * 37) % 9900);
      const quantity = 1 + (index % 3);
      const paid = index % 2 === 0;
      const created = new Date(now - YEAR_MS + Math.floor(((index * SPREAD) % 1) * YEAR_MS));
      rows.push([
        firstUser.id + (index % customers),
        firstProduct.id + (index % products),
        quantity,
        price,
        price * quantity,
        "usd",
        paid ? "paid" : "pending",
        created,
        paid ? new Date(created.getTime() + 60_000) : null,
        paid ? "paid" : "unpaid",
        // An unpaid order older than the checkout's lapse has given its units back in a running shop; seeded
        // as held, every one of them waited for the stock release, which then ran 500 of them a minute inside
        // whatever scenario was being measured.
        paid ? "sold" : "released",
      ]);
    }
    await pool.query(
      `INSERT INTO orders (user_id, product_id, quantity, unit_price_minor, amount_minor, currency, status, created_at,
        paid_at, payment_status, stock_state) VALUES ?`,
      [rows],
    );
  }
  // Each order is its own one line.
  await pool.query(
    `INSERT INTO order_items (order_id, line, product_id, quantity, unit_price_minor, amount_minor)
      SELECT o.id, 1, o.product_id, o.quantity, o.unit_price_minor, o.amount_minor FROM orders o
      WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)`,
  );
  // Every paid order was sent to the CRM: its outbox event succeeded.
  const [[known]] = (await pool.query(
    "SELECT COALESCE(MAX(subject_id), 0) AS id FROM crm_events WHERE kind = 'order'",
  )) as unknown as [[{ id: number }]];
  await pool.query(
    `INSERT INTO crm_events (kind, subject_id, status, attempts, synced_at, created_at)
      SELECT 'order', id, 'success', 1, paid_at, paid_at FROM orders WHERE paid_at IS NOT NULL AND id > ?`,
    [known.id],
  );
}

/** One admin, who may read the shop's reports. */
export async function seedAdmin(pool: Pool, email: string, passwordHash: string): Promise<void> {
  await pool.query(
    "INSERT INTO users (email, name, password_hash, role, created_at) VALUES (?, ?, ?, 'admin', ?)",
    [email, "Bench admin", passwordHash, new Date()],
  );
}
