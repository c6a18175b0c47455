import type { Order, Refund } from "./store.ts";

/**
 * The refunds ledger's rules (docs/decisions/007-refunds-ledger.md, 009-rules-in-transactions.md), applied by the
 * store in the transaction that writes a refund row, with the order's row locked first.
 *
 * A refund row counts for its order only when it refunds the order's own payment (`appliesToOrder`): pending, its
 * amount is reserved; succeeded, it is refunded; failed, it counts for nothing.
 */
export type RefundShareFacts = Pick<Refund, "appliesToOrder" | "status" | "amountMinor">;

type OrderRefundState = Pick<
  Order,
  "status" | "amountMinor" | "refundedMinor" | "refundReservedMinor" | "refundCount"
>;

function share(refund: RefundShareFacts | undefined) {
  const own = refund?.appliesToOrder === true;
  return {
    refunded: own && refund.status === "succeeded" ? refund.amountMinor : 0,
    reserved: own && refund.status === "pending" ? refund.amountMinor : 0,
    rows: refund ? 1 : 0,
  };
}

/** What is left of the order's payment to refund: nothing unless it is paid (and not fully refunded). */
export function refundable(order: OrderRefundState): number {
  return order.status === "paid" ? order.amountMinor - order.refundedMinor - order.refundReservedMinor : 0;
}

/**
 * The order's refund sums and status after one of its refund rows went from `before` to `after` (undefined:
 * the row is new). A paid order whose refunds reach its amount is refunded; one whose refunds fall below it
 * again (a refund Stripe later reports failed) is paid.
 */
export function afterRefundChange(
  order: OrderRefundState,
  before: RefundShareFacts | undefined,
  after: RefundShareFacts | undefined,
): Pick<Order, "status" | "refundedMinor" | "refundReservedMinor" | "refundCount"> {
  const [was, is] = [share(before), share(after)];
  const refundedMinor = order.refundedMinor + is.refunded - was.refunded;
  const paid = order.status === "paid" || order.status === "refunded";
  return {
    refundedMinor,
    refundReservedMinor: order.refundReservedMinor + is.reserved - was.reserved,
    refundCount: order.refundCount + is.rows - was.rows,
    status: paid ? (refundedMinor >= order.amountMinor ? "refunded" : "paid") : order.status,
  };
}
