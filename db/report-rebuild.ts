import { eq, type SQL, sql } from "drizzle-orm";
import { countedOrderColumns, countedRefundColumns } from "./report-rollups.ts";
import type { DialectAdapter } from "./store-part.ts";

const SLOTS_PER_DAY = 96;
const PRODUCT_RUNNING = "product_running";

/**
 * Makes every derived figure again from the facts (orders and refunds): the orders' refund sums and
 * paid/refunded status, the three rollups, and `product_running` (remade lazily from the start). For an
 * operator after a change made by hand in SQL, which no rule sees (`bun run reports:rebuild`), and for bulk
 * loads. One transaction: it holds the report tables' locks for its length, so run it at a quiet time.
 */
export async function rebuildReportRollups(adapter: DialectAdapter): Promise<void> {
  const t = adapter.tables;
  const { orders, orderItems, refunds, orderTotals, orderSlots, productSlots, productRunning, rollupMarks } =
    t;
  await adapter.transaction(async (tx) => {
    const run = (query: SQL) => adapter.run(tx, query);
    const ownRefunds = (status: string, value: SQL) =>
      sql`coalesce((select ${value} from ${refunds} where ${refunds.orderId} = ${orders.id} and ${refunds.appliesToOrder} = ${true} and ${refunds.status} = ${status}), 0)`;
    await run(sql`update ${orders} set
      ${sql.identifier(orders.refundedMinor.name)} = ${ownRefunds("succeeded", sql`sum(${refunds.amountMinor})`)},
      ${sql.identifier(orders.refundReservedMinor.name)} = ${ownRefunds("pending", sql`sum(${refunds.amountMinor})`)},
      ${sql.identifier(orders.refundCount.name)} = (select count(*) from ${refunds} where ${refunds.orderId} = ${orders.id})
      where ${orders.refundCount} <> 0 or ${orders.refundedMinor} <> 0 or ${orders.refundReservedMinor} <> 0
        or ${orders.id} in (select ${refunds.orderId} from ${refunds})`);
    await run(sql`update ${orders} set ${sql.identifier(orders.status.name)} =
      case when ${orders.refundedMinor} >= ${orders.amountMinor} then 'refunded' else 'paid' end
      where ${orders.status} in ('paid', 'refunded')`);
    await run(sql`update ${orders} set ${countedOrderColumns(t)}`);
    await run(sql`update ${refunds} set ${countedRefundColumns(t)}`);
    await tx.delete(orderTotals);
    await run(sql`insert into ${orderTotals} (currency, status, orders, amount_minor, refunded_minor)
      select ${orders.currency}, ${orders.status}, count(*), coalesce(sum(${orders.amountMinor}), 0),
        coalesce(sum(${orders.refundedMinor}), 0)
      from ${orders} group by ${orders.currency}, ${orders.status}`);
    await tx.delete(orderSlots);
    await run(sql`insert into ${orderSlots} (slot, currency, orders, paid_orders, revenue_minor, refunds_minor)
      select slot, currency, sum(orders), sum(paid_orders), sum(revenue_minor), sum(refunds_minor) from (
        select ${adapter.slotOf(orders.createdAt)} as slot, ${orders.currency} as currency, count(*) as orders,
          0 as paid_orders, 0 as revenue_minor, 0 as refunds_minor
        from ${orders} group by 1, 2
        union all
        select ${adapter.slotOf(orders.paidAt)}, ${orders.currency}, 0, count(*), sum(${orders.amountMinor}), 0
        from ${orders} where ${orders.paidAt} is not null group by 1, 2
        union all
        select ${adapter.slotOf(refunds.createdAt)}, ${refunds.currency}, 0, 0, 0, sum(${refunds.amountMinor})
        from ${refunds} where ${refunds.appliesToOrder} = ${true} and ${refunds.status} = 'succeeded' group by 1, 2
      ) counted group by slot, currency`);
    await tx.delete(productSlots);
    await run(sql`insert into ${productSlots} (slot, product_id, currency, paid_orders, quantity, revenue_minor)
      select ${adapter.slotOf(orders.paidAt)}, ${orderItems.productId}, ${orders.currency}, count(*),
        sum(${orderItems.quantity}), sum(${orderItems.amountMinor})
      from ${orders} join ${orderItems} on ${orderItems.orderId} = ${orders.id}
      where ${orders.paidAt} is not null group by 1, 2, 3`);
    await tx.delete(productRunning);
    await tx
      .update(rollupMarks)
      .set({ daySlot: -SLOTS_PER_DAY })
      .where(eq(rollupMarks.name, PRODUCT_RUNNING));
  });
}
