import { afterAll, expect, test } from "bun:test";
import { createPool } from "mysql2/promise";
import { mysqlTarget } from "../tests/support.ts";
import { DeadlinePool } from "./deadline-pool.ts";

const mysql = mysqlTarget();

mysql.describe("DeadlinePool on MySQL", () => {
  const pool = new DeadlinePool(createPool({ uri: mysql.url(), connectionLimit: 1 }), 400, 1);
  afterAll(() => pool.end());

  const connectionId = async () => {
    const [rows] = (await pool.query("SELECT CONNECTION_ID() AS id")) as unknown as [[{ id: number }]];
    return rows[0].id;
  };

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

  test("an SQL error leaves the connection in the pool", async () => {
    const before = await connectionId();
    const error = await pool.execute("SELECT * FROM no_such_table_here").catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe("ER_NO_SUCH_TABLE");
    expect(await connectionId()).toBe(before);
  });
});
