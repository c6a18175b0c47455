import { afterAll, beforeAll, expect, test } from "bun:test";
import { createConnection } from "mysql2/promise";
import { migrateDatabase } from "../../db/migrate-store.ts";
import { openStore } from "../../db/open-store.ts";
import type { Store } from "../../db/store.ts";
import { issueToken } from "../../server/auth/tokens.ts";
import { testConfig } from "../../server/config.ts";
import { bunPasswordHasher } from "../../server/runtime/passwords.ts";
import { mysqlTarget } from "../support.ts";
import { type ServerProcess, startTwoServers, type TwoServers } from "./processes.ts";
import { Shopper } from "./purchase.ts";

const mysql = mysqlTarget();
const CUSTOMERS = 200;
const UNITS = 10;
const RACE_JWT_SECRET = "stock-race-secret-stock-race-secret-32";

mysql.describe("stock: customers racing for the last units through two servers on one MariaDB", () => {
  const databaseUrl = mysql.url() as string;
  let store: Store;
  let shop: TwoServers;

  beforeAll(async () => {
    await migrateDatabase(databaseUrl);
    store = await openStore(databaseUrl);
    shop = await startTwoServers({
      DATABASE_URL: databaseUrl,
      JWT_SECRET: RACE_JWT_SECRET,
      CRM_URL: "http://127.0.0.1:9/posts/add",
      CRM_WORKER: "off",
    });
  }, 30_000);

  afterAll(async () => {
    await shop?.stop();
    await store?.close();
  });

  test(`${CUSTOMERS} customers race for the last ${UNITS} units: exactly ${UNITS} orders; a cancellation and an expired session each free a unit the next customer gets`, async () => {
    const product = await store.createProduct({
      name: `Last units ${crypto.randomUUID().slice(0, 8)}`,
      description: "",
      priceMinor: 4200,
      currency: "usd",
      stock: UNITS,
    });
    const stockOf = async () => {
      const row = await store.findProduct(product.id);
      return { stock: row?.stock, reserved: row?.stockReserved };
    };
    // Customers are created directly with one shared password hash and handed their tokens (sign-in is tested
    // elsewhere); each asks through one of the two servers.
    const passwordHash = await bunPasswordHasher.hash("stock race password");
    const config = testConfig({ JWT_SECRET: RACE_JWT_SECRET });
    const shopperOn = async (index: number) => {
      const user = await store.createUser({
        email: `race-${crypto.randomUUID()}@example.test`,
        name: "",
        passwordHash,
        role: "customer",
      });
      const shopper = new Shopper((shop.servers[index % 2] as ServerProcess).url, shop.simulator.url);
      shopper.token = await issueToken(config, user);
      return shopper;
    };
    const shoppers = await Promise.all(Array.from({ length: CUSTOMERS }, (_, index) => shopperOn(index)));

    const answers = await Promise.all(shoppers.map((shopper) => shopper.order(product.id)));
    const statuses = answers.map((answer) => answer.status);
    expect({
      created: statuses.filter((status) => status === 201).length,
      refused: statuses.filter((status) => status === 409).length,
      other: statuses.filter((status) => status !== 201 && status !== 409),
    }).toEqual({ created: UNITS, refused: CUSTOMERS - UNITS, other: [] });
    const refusal = answers.find((answer) => answer.status === 409);
    expect(refusal?.body.shortages).toEqual([{ product_id: product.id, name: product.name, left: 0 }]);
    expect(await stockOf()).toEqual({ stock: UNITS, reserved: UNITS });

    // One winner cancels through the other server: the next customer gets that unit, and only that one.
    const winners = answers.flatMap((answer, index) => (answer.status === 201 ? [index] : []));
    const canceller = winners[0] as number;
    const cancelling = shoppers[canceller] as Shopper;
    cancelling.apiUrl = (shop.servers[(canceller + 1) % 2] as ServerProcess).url;
    expect((await cancelling.cancel(answers[canceller]?.body.id)).status).toBe(200);
    expect(await stockOf()).toEqual({ stock: UNITS, reserved: UNITS - 1 });
    const next = await shopperOn(0);
    expect((await next.order(product.id)).status).toBe(201);
    expect((await (await shopperOn(1)).order(product.id)).status).toBe(409);

    // Another winner's checkout session expires unpaid: its unit is released for the next customer.
    const lapsing = winners[1] as number;
    const lapsingShopper = shoppers[lapsing] as Shopper;
    const orderId = answers[lapsing]?.body.id as number;
    const checkout = await lapsingShopper.createPayment(orderId);
    expect(checkout.status).toBe(201);
    await fetch(`${shop.simulator.url}/__simulator/sessions/${checkout.body.session_id}/age`, {
      method: "POST",
    });
    expect((await lapsingShopper.confirm(orderId, checkout.body.session_id)).status).toBe(409);
    expect(await stockOf()).toEqual({ stock: UNITS, reserved: UNITS - 1 });
    expect((await (await shopperOn(1)).order(product.id)).status).toBe(201);

    // Nowhere is stock negative, or less than what unpaid orders hold.
    const connection = await createConnection(databaseUrl);
    const [[broken]] = (await connection.query(
      "SELECT COUNT(*) AS count FROM products WHERE stock < 0 OR stock_reserved < 0 OR stock_reserved > stock",
    )) as unknown as [[{ count: number }]];
    await connection.end();
    expect(Number(broken?.count)).toBe(0);
  }, 120_000);
});
