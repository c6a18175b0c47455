import type { Pool } from "mysql2/promise";

const BATCH = 5000;

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

/** Orders spread over the customers and products; every other one is paid and already synced. */
export async function seedOrders(
  pool: Pool,
  from: number,
  to: number,
  customers: number,
  products: number,
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
      const created = new Date(Date.UTC(2026, 0, 1) + index * 1000);
      rows.push([
        firstUser.id + (index % customers),
        firstProduct.id + (index % products),
        quantity,
        price,
        price * quantity,
        "usd",
        paid ? "paid" : "pending",
        created,
        paid ? created : null,
        paid ? "paid" : "unpaid",
        paid ? "success" : "pending",
        paid ? 1 : 0,
      ]);
    }
    await pool.query(
      `INSERT INTO orders (user_id, product_id, quantity, unit_price_minor, amount_minor, currency, status, created_at,
        paid_at, payment_status, crm_sync_status, crm_attempts) VALUES ?`,
      [rows],
    );
  }
}
