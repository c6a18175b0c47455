/**
 * The values of the columns that hold one of a few words, written once: both schemas, the API's zod schemas and
 * the admin's forms read them from here.
 */
export const ORDER_STATUSES = ["pending", "paid", "refunded", "cancelled"] as const;
export const CRM_SYNC_STATUSES = ["pending", "success", "failed"] as const;
/** What a CRM event is about: a paid order, or a succeeded refund. */
export const CRM_EVENT_KINDS = ["order", "refund"] as const;
export const REFUND_STATUSES = ["pending", "succeeded", "failed"] as const;
/** Stripe's refund reasons. */
export const REFUND_REASONS = ["requested_by_customer", "duplicate", "fraudulent"] as const;
/**
 * Where an order's units stand against stock: held (counted as reserved while it is unpaid), released (given back:
 * cancelled, or its checkout lapsed unpaid) or sold (taken off the shelf when paid).
 */
export const STOCK_STATES = ["held", "released", "sold"] as const;
/** Why an order was cancelled: asked for (by its customer or an admin), or paid for after its units sold out. */
export const CANCEL_REASONS = ["requested", "sold_out"] as const;
