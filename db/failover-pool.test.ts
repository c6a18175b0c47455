import { afterAll, expect, test } from "bun:test";
import { createPool } from "mysql2/promise";
import { startTcpProxy } from "../tests/resilience/processes.ts";
import { mysqlTarget } from "../tests/support.ts";
import { freePort, waitFor } from "../tests/waiting.ts";
import { DeadlinePool } from "./deadline-pool.ts";
import { FailoverPool } from "./failover-pool.ts";

const mysql = mysqlTarget();

mysql.describe("several database hosts (FailoverPool) on MariaDB", () => {
  /** Two ways to the same server: the first through a relay the test can cut, the second direct. */
  const twoNodes = async () => {
    const server = new URL(mysql.url() as string);
    const relay = await startTcpProxy(Number(server.port || 3306));
    const first = new URL(server);
    first.port = String(relay.port);
    const lines: Record<string, unknown>[] = [];
    const failover = new FailoverPool(
      [first.toString(), server.toString()],
      (uri) => createPool({ uri, connectionLimit: 2, connectTimeout: 500 }),
      { log: (fields) => lines.push(fields), recheckMs: 100 },
    );
    const pool = new DeadlinePool(failover, 1000, 2);
    afterAll(async () => {
      await pool.end();
      relay.stop();
    });
    return { relay, failover, pool, lines, direct: `${server.hostname}:${server.port}` };
  };

  test("the first node that serves is used; one that goes down is left for the next, and used again once it is back", async () => {
    const { relay, failover, pool, lines, direct } = await twoNodes();
    const firstNode = failover.node;
    await pool.query("SELECT 1");
    expect(relay.connections).toBeGreaterThan(0);

    relay.cut();
    // The statement on a dropped connection fails (it may have run); the next ones go to the second node.
    await pool.query("SELECT 1").catch(() => undefined);
    await pool.query("SELECT 1");
    expect(failover.node).toBe(direct);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: "database node left", node: firstNode, now_using: direct }),
    );

    relay.restore();
    await waitFor(() => failover.node === firstNode, "the first node to be used again", 5000);
    expect(lines).toContainEqual(expect.objectContaining({ msg: "database node back", node: firstNode }));
    await Bun.sleep(50);
    const beforeUse = relay.connections;
    await Promise.all([pool.query("SELECT 1"), pool.query("SELECT 1")]);
    expect(relay.connections).toBeGreaterThan(beforeUse);
  });

  test("a node that refuses connections costs no failed statement: the pool moves on at once", async () => {
    const server = new URL(mysql.url() as string);
    const refusing = new URL(server);
    refusing.port = String(await freePort());
    const failover = new FailoverPool([refusing.toString(), server.toString()], (uri) =>
      createPool({ uri, connectionLimit: 1, connectTimeout: 500 }),
    );
    const pool = new DeadlinePool(failover, 1000, 1);
    try {
      const [rows] = (await pool.query("SELECT 41 + 1 AS answer")) as unknown as [[{ answer: number }]];
      expect(rows[0].answer).toBe(42);
      expect(failover.node).toBe(`${server.hostname}:${server.port}`);
    } finally {
      await pool.end();
    }
  });

  test("a transaction whose connection was dead before it began is run on the next node", async () => {
    const { relay, failover, pool, direct } = await twoNodes();
    await pool.query("SELECT 1");
    relay.cut();
    relay.restore();
    // The pool's idle connection to the first node was dropped by the cut: START TRANSACTION finds it dead.
    const answer = await pool.transaction(async (client) => {
      const [rows] = (await client.query("SELECT 7 AS seven")) as unknown as [[{ seven: number }]];
      return rows[0].seven;
    });
    expect(answer).toBe(7);
    expect(failover.node).toBe(direct);
  });
});
