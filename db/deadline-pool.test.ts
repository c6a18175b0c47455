import { afterAll, expect, test } from "bun:test";
import { createConnection, createPool } from "mysql2/promise";
import { mysqlTarget } from "../tests/support.ts";
import { waitFor } from "../tests/waiting.ts";
import { DeadlinePool } from "./deadline-pool.ts";
import { FailoverPool } from "./failover-pool.ts";

const mysql = mysqlTarget();
/** One node, one connection. */
const onePool = () =>
  new FailoverPool([mysql.url() as string], (uri) => createPool({ uri, connectionLimit: 1 }));

mysql.describe("DeadlinePool on MySQL", () => {
  const pool = new DeadlinePool(onePool(), 400, 1);
  afterAll(() => pool.end());

  const connectionId = async () => {
    const [rows] = (await pool.query("SELECT CONNECTION_ID() AS id")) as unknown as [[{ id: number }]];
    return rows[0].id;
  };

  test("a statement InnoDB picks as a deadlock's victim is run again, once the rival has moved on", async () => {
    const table = `deadlock_probe_${process.pid}`;
    const deadlocking = new DeadlinePool(onePool(), 5000, 1);
    const rival = await createConnection(mysql.url());
    const observer = await createConnection(mysql.url());
    try {
      await observer.query(
        `CREATE TABLE ${table} (id INT PRIMARY KEY, k INT NOT NULL, v INT NOT NULL, KEY k (k))`,
      );
      await observer.query(`CREATE TABLE ${table}_weight (id INT PRIMARY KEY)`);
      await observer.query(`INSERT INTO ${table} VALUES (1, 2, 0), (2, 1, 0)`);
      // The rival changes many rows, so that InnoDB, which rolls back the smaller transaction, picks the pool's.
      await rival.query("BEGIN");
      const weight = Array.from({ length: 200 }, (_, index) => `(${index})`).join(",");
      await rival.query(`INSERT INTO ${table}_weight VALUES ${weight}`);
      await rival.query(`UPDATE ${table} SET v = v + 100 WHERE id = 1`);
      // Walks k upwards: locks row 2, then waits for row 1, which the rival holds.
      const victim = deadlocking.query(`UPDATE ${table} FORCE INDEX (k) SET v = v + 1 WHERE k > 0`);
      // information_schema.INNODB_TRX answers from a cache while it is read more often than every 100 ms.
      await waitFor(async () => {
        const [status] = (await observer.query("SHOW ENGINE INNODB STATUS")) as unknown as [
          [{ Status: string }],
        ];
        return (
          /TRX HAS BEEN WAITING [\s\S]*FOR THIS LOCK/.test(status[0].Status) &&
          status[0].Status.includes(table)
        );
      }, "the pool's statement to wait for the rival's lock");
      await rival.query(`UPDATE ${table} SET v = v + 100 WHERE id = 2`);
      await rival.query("COMMIT");
      const [result] = (await victim) as unknown as [{ affectedRows: number }];
      expect(result.affectedRows).toBe(2);
      expect(deadlocking.deadlocksRetried).toBe(1);
      const [rows] = (await observer.query(`SELECT id, k, v FROM ${table} ORDER BY id`)) as unknown as [
        unknown[],
      ];
      expect(rows).toEqual([
        { id: 1, k: 2, v: 101 },
        { id: 2, k: 1, v: 101 },
      ]);
    } finally {
      await rival.query("ROLLBACK").catch(() => undefined);
      await observer.query(`DROP TABLE IF EXISTS ${table}, ${table}_weight`);
      await Promise.all([rival.end(), observer.end(), deadlocking.end()]);
    }
  });

  test("a statement without an answer in time fails as a timeout, and its connection is replaced, not reused", async () => {
    const before = await connectionId();
    const started = Date.now();
    const error = await pool.query("SELECT SLEEP(3)").catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe("PROTOCOL_SEQUENCE_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(2000);
    const after = await connectionId();
    expect(after).not.toBe(before);
  });

  test("waiting for a free connection ends after the timeout with ETIMEDOUT, and the pool serves again once one is free", async () => {
    const held = await pool.getConnection();
    const started = Date.now();
    const error = await pool.query("SELECT 1").catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe("ETIMEDOUT");
    expect(Date.now() - started).toBeLessThan(2000);
    held.release();
    expect(await connectionId()).toBeGreaterThan(0);
  });

  test("a connection's transactions get the same client each time, so what is built over it is built once", async () => {
    const clients = [
      await pool.transaction(async (client) => client),
      await pool.transaction(async (client) => client),
    ];
    expect(clients[1]).toBe(clients[0]);
  });

  test("an SQL error leaves the connection in the pool", async () => {
    const before = await connectionId();
    const error = await pool.execute("SELECT * FROM no_such_table_here").catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe("ER_NO_SUCH_TABLE");
    expect(await connectionId()).toBe(before);
  });
});
