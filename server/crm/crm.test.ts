import { afterEach, expect, test } from "bun:test";
import { type PaymentStack, usePaymentStack } from "../../tests/payment-stacks.ts";
import { customerWithOrder, rawSql, request, storeTargets } from "../../tests/support.ts";
import { crmIdempotencyKey } from "./client.ts";
import { CrmSync } from "./sync.ts";

/** An order that has just become paid, as the fulfilment path leaves it, with no sync attempted yet. */
async function freshlyPaidOrder(stack: PaymentStack) {
  const { customer, order } = await customerWithOrder(stack, { priceMinor: 1999, quantity: 2 });
  const transitioned = await stack.store.markOrderPaid(order.id, {
    sessionId: `cs_test_${crypto.randomUUID()}`,
    paymentIntentId: "pi_test_crm",
    paidAt: new Date(),
  });
  expect(transitioned).toBe(true);
  return { customer, orderId: order.id };
}

async function paidThroughCheckout(stack: PaymentStack) {
  const { customer, order } = await customerWithOrder(stack);
  const checkout = await (
    await request(stack.app, "POST", `/api/v1/orders/${order.id}/create-payment/`, { token: customer.token })
  ).json();
  await fetch(`${stack.simulatorUrl}/__simulator/sessions/${checkout.session_id}/pay?webhook=false`, {
    method: "POST",
  });
  const started = performance.now();
  const response = await request(stack.app, "POST", `/api/v1/orders/${order.id}/confirm-payment/`, {
    token: customer.token,
    body: { session_id: checkout.session_id },
  });
  return { customer, orderId: order.id, response, elapsedMs: performance.now() - started };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const target of storeTargets()) {
  target.describe(`CRM sync on ${target.name}`, () => {
    const stack = usePaymentStack(target);
    afterEach(() => {
      stack.crmStandIn.mode = "ok";
    });

    test("a paid order is posted once with the brief's fields, DummyJSON's fields and an Idempotency-Key", async () => {
      const { customer, orderId, response } = await paidThroughCheckout(stack);
      expect(response.status).toBe(200);
      expect((await response.json()).crm_sync_status).toBe("success");
      const posts = stack.crmStandIn.postsFor(orderId);
      expect(posts).toHaveLength(1);
      expect(posts[0]?.idempotencyKey).toBe(crmIdempotencyKey(orderId));
      expect(posts[0]?.body).toMatchObject({
        order_id: orderId,
        amount: "39.98",
        customer_email: customer.email,
        userId: 1,
        title: `Order #${orderId} paid`,
      });
      expect(String(posts[0]?.body.body)).toContain("39.98");
      const order = await stack.store.findOrder(orderId);
      expect(order).toMatchObject({
        crmSyncStatus: "success",
        crmAttempts: 1,
        crmLastError: null,
        crmNextAttemptAt: null,
      });
      expect(Number(order?.crmReference)).toBeGreaterThanOrEqual(252);
      expect(order?.crmSyncedAt).toBeInstanceOf(Date);
    });

    const failures: [string, () => void, string][] = [
      ["a 500 answer", () => (stack.crmStandIn.mode = "error500"), "HTTP 500"],
      ["a 4xx answer", () => (stack.crmStandIn.mode = "error400"), "HTTP 400"],
      ["an answer that is not JSON", () => (stack.crmStandIn.mode = "garbage"), "unreadable answer"],
      ["no answer within CRM_TIMEOUT_MS", () => (stack.crmStandIn.mode = "hang"), "timeout"],
    ];
    for (const [name, arrange, reason] of failures) {
      test(`${name} is a failed sync with the reason kept, a retry scheduled, and the order still paid`, async () => {
        arrange();
        const { orderId, response, elapsedMs } = await paidThroughCheckout(stack);
        expect(response.status).toBe(200);
        expect(elapsedMs).toBeLessThan(stack.config.CRM_WAIT_MS + 1500);
        const body = await response.json();
        expect(body).toMatchObject({ status: "paid", crm_sync_status: "failed" });
        const order = await stack.store.findOrder(orderId);
        expect(order?.status).toBe("paid");
        expect(order?.crmAttempts).toBe(1);
        expect(order?.crmLastError).toContain(reason);
        expect(order?.crmNextAttemptAt?.getTime()).toBeGreaterThan(Date.now() - 1000);
      });
    }

    test("a refused connection is a failed sync", async () => {
      const closed = Bun.serve({ port: 0, fetch: () => new Response() });
      const refusedUrl = `http://127.0.0.1:${closed.port}/posts/add`;
      closed.stop(true);
      const { orderId } = await freshlyPaidOrder(stack);
      const sync = new CrmSync({ ...stack.config, CRM_URL: refusedUrl }, stack.store);
      expect(await sync.syncOrder(orderId)).toBe("failed");
      expect((await stack.store.findOrder(orderId))?.crmLastError).toContain("unreachable");
    });

    test("a failed sync is retried after its backoff and succeeds once the CRM recovers", async () => {
      stack.crmStandIn.mode = "error500";
      const { orderId } = await freshlyPaidOrder(stack);
      const worker = new CrmSync(stack.config, stack.store);
      expect(await worker.syncOrder(orderId)).toBe("failed");
      expect(await worker.syncOrder(orderId)).toBe("skipped");
      stack.crmStandIn.mode = "ok";
      const due = (await stack.store.findOrder(orderId))?.crmNextAttemptAt as Date;
      await sleep(Math.max(0, due.getTime() - Date.now()) + 20);
      await worker.runPass();
      expect(await stack.store.findOrder(orderId)).toMatchObject({
        crmSyncStatus: "success",
        crmAttempts: 2,
      });
      expect(stack.crmStandIn.postsFor(orderId).map((post) => post.status)).toEqual([500, 201]);
      await worker.runPass();
      expect(stack.crmStandIn.postsFor(orderId)).toHaveLength(2);
    });

    test("after a restart, a worker picks up every paid order whose sync never ran", async () => {
      const { orderId } = await freshlyPaidOrder(stack);
      const afterRestart = new CrmSync(stack.config, stack.store);
      await afterRestart.runPass();
      expect((await stack.store.findOrder(orderId))?.crmSyncStatus).toBe("success");
      expect(stack.crmStandIn.postsFor(orderId)).toHaveLength(1);
    });

    test("a paid order the previous release queued on its own columns during an upgrade is adopted and posted once", async () => {
      const { order } = await customerWithOrder(stack);
      const sql = await rawSql(stack.config.DATABASE_URL);
      try {
        // What that release's markOrderPaid wrote: the order paid and its CRM sync due, on the order's row.
        const paidAt = new Date(Date.now() - 1000);
        await sql.all(
          "UPDATE orders SET status = 'paid', paid_at = ?, payment_status = 'paid', crm_sync_status = 'pending', crm_next_attempt_at = ? WHERE id = ?",
          [paidAt, paidAt, order.id],
        );
        const worker = new CrmSync(stack.config, stack.store);
        expect(await worker.runPass()).toBeGreaterThanOrEqual(1);
        expect(await stack.store.findOrder(order.id)).toMatchObject({
          crmSyncStatus: "success",
          crmAttempts: 1,
        });
        await worker.runPass();
        expect(stack.crmStandIn.postsFor(order.id)).toHaveLength(1);
      } finally {
        await sql.close();
      }
    });

    test("a claim left by a dead process blocks others until its lease runs out", async () => {
      const { orderId } = await freshlyPaidOrder(stack);
      const leaseUntil = new Date(Date.now() + 300);
      expect(
        await stack.store.claimCrmEvent({ kind: "order", subjectId: orderId }, new Date(), leaseUntil),
      ).toBe(true);
      const survivor = new CrmSync(stack.config, stack.store);
      expect(await survivor.syncOrder(orderId)).toBe("skipped");
      await sleep(350);
      expect(await survivor.syncOrder(orderId)).toBe("success");
      expect(
        await stack.store.recordCrmSuccess({ kind: "order", subjectId: orderId }, leaseUntil, {
          reference: "late",
          syncedAt: new Date(),
        }),
      ).toBe(false);
      expect((await stack.store.findOrder(orderId))?.crmReference).not.toBe("late");
    });

    test("a claimant whose slow database ate its lease does not post; the order is posted once the lease runs out", async () => {
      const { orderId } = await freshlyPaidOrder(stack);
      const config = { ...stack.config, CRM_TIMEOUT_MS: 1000, DB_TIMEOUT_MS: 1000 };
      // The lease is 1 s (post) + 2 x 1 s (record) + 15 s (a frozen cluster) + 5 s = 23 s; the claim and the
      // read take 4 s of it, leaving less than the 20 s a post needs.
      const worker = (now: () => number) => new CrmSync(config, stack.store, () => {}, now);
      const start = Date.now();
      const times = [start, start + 4000];
      expect(await worker(() => times.shift() ?? start + 4000).syncOrder(orderId)).toBe("skipped");
      expect(stack.crmStandIn.postsFor(orderId)).toHaveLength(0);
      expect(await worker(() => start + 22_900).syncOrder(orderId)).toBe("skipped");
      expect(await worker(() => start + 23_001).syncOrder(orderId)).toBe("success");
      expect(stack.crmStandIn.postsFor(orderId)).toHaveLength(1);
    });

    test("after the last attempt the sync stays failed until an admin asks for a re-sync, which is a new round of attempts", async () => {
      stack.crmStandIn.mode = "error500";
      const { orderId } = await freshlyPaidOrder(stack);
      const worker = new CrmSync(
        { ...stack.config, CRM_MAX_ATTEMPTS: 2, CRM_RETRY_BASE_MS: 10, CRM_RETRY_MAX_MS: 10 },
        stack.store,
      );
      await worker.syncOrder(orderId);
      await sleep(30);
      await worker.syncOrder(orderId);
      expect(await stack.store.findOrder(orderId)).toMatchObject({
        crmSyncStatus: "failed",
        crmAttempts: 2,
        crmNextAttemptAt: null,
      });
      await sleep(30);
      expect(await worker.runPass()).toBe(0);
      // A re-sync is a new round of CRM_MAX_ATTEMPTS tries, counted on from the attempts before it.
      expect(await worker.retry(orderId)).toBe(true);
      await worker.awaitSettled(orderId, 3000);
      expect(await stack.store.findOrder(orderId)).toMatchObject({ crmSyncStatus: "failed", crmAttempts: 3 });
      expect((await stack.store.findOrder(orderId))?.crmNextAttemptAt).not.toBeNull();
      await sleep(30);
      await worker.syncOrder(orderId);
      expect(await stack.store.findOrder(orderId)).toMatchObject({
        crmSyncStatus: "failed",
        crmAttempts: 4,
        crmNextAttemptAt: null,
      });
      stack.crmStandIn.mode = "ok";
      expect(await worker.retry(orderId)).toBe(true);
      await worker.awaitSettled(orderId, 3000);
      expect(await stack.store.findOrder(orderId)).toMatchObject({
        crmSyncStatus: "success",
        crmAttempts: 5,
      });
      expect(await worker.retry(orderId)).toBe(false);
    });

    test("backoff grows exponentially, with jitter, up to CRM_RETRY_MAX_MS", () => {
      const sync = new CrmSync(
        { ...stack.config, CRM_RETRY_BASE_MS: 1000, CRM_RETRY_MAX_MS: 60_000 },
        stack.store,
      );
      for (let attempt = 1; attempt <= 10; attempt++) {
        const ceiling = Math.min(60_000, 1000 * 2 ** (attempt - 1));
        const delay = sync.backoffMs(attempt);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    });
  });

  target.describe(`CRM slower than CRM_WAIT_MS on ${target.name}`, () => {
    const stack = usePaymentStack(target, { CRM_WAIT_MS: "300", CRM_TIMEOUT_MS: "5000" });

    test("confirm answers pending within its budget and the sync lands later", async () => {
      stack.crmStandIn.mode = "slow";
      stack.crmStandIn.slowMs = 1200;
      try {
        const { customer, orderId, response, elapsedMs } = await paidThroughCheckout(stack);
        expect(response.status).toBe(200);
        expect(elapsedMs).toBeLessThan(1200);
        expect((await response.json()).crm_sync_status).toBe("pending");
        let status = "pending";
        for (let poll = 0; poll < 50 && status === "pending"; poll++) {
          await sleep(100);
          status = (
            await (
              await request(stack.app, "GET", `/api/v1/orders/${orderId}/`, { token: customer.token })
            ).json()
          ).crm_sync_status;
        }
        expect(status).toBe("success");
      } finally {
        stack.crmStandIn.mode = "ok";
      }
    });
  });

  if (target.name === "mysql") {
    target.describe("two worker processes on one MySQL database", () => {
      const stack = usePaymentStack(target);

      test("200 paid orders are each posted exactly once", async () => {
        const orderIds: number[] = [];
        const { customer, product } = await customerWithOrder(stack);
        for (let index = 0; index < 200; index++) {
          const order = await stack.store.createOrder({
            userId: customer.userId,
            currency: "usd",
            lines: [{ productId: product.id, quantity: 1, unitPriceMinor: product.priceMinor }],
          });
          await stack.store.markOrderPaid(order.id, {
            sessionId: `cs_test_bulk_${order.id}`,
            paymentIntentId: null,
            paidAt: new Date(),
          });
          orderIds.push(order.id);
        }
        // A little latency per post keeps both passes running at the same time.
        stack.crmStandIn.mode = "slow";
        stack.crmStandIn.slowMs = 20;
        const env = {
          ...process.env,
          NODE_ENV: "test",
          DATABASE_URL: target.url(),
          CRM_URL: stack.crmStandIn.url,
          CRM_TIMEOUT_MS: "5000",
        };
        const workers = [0, 1].map(() =>
          Bun.spawn(["bun", "run", "server/crm/cli.ts"], { env, stdout: "pipe", stderr: "pipe" }),
        );
        const exitCodes = await Promise.all(workers.map((worker) => worker.exited));
        expect(exitCodes).toEqual([0, 0]);
        const attemptedByEach = await Promise.all(
          workers.map(async (worker) =>
            Number(/"attempted":(\d+)/.exec(await new Response(worker.stdout).text())?.[1]),
          ),
        );
        expect(attemptedByEach.every((count) => count > 0)).toBe(true);
        for (const orderId of orderIds) {
          expect(stack.crmStandIn.postsFor(orderId)).toHaveLength(1);
          expect((await stack.store.findOrder(orderId))?.crmSyncStatus).toBe("success");
        }
      }, 60_000);
    });
  }
}
