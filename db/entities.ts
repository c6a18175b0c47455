/**
 * What the store reads and writes: the entities (the Drizzle schema's own row types), what they are written from,
 * and what the reports answer. db/store.ts, the store's interface, exports all of it too.
 */

import type { crmEvents, orderItems, orders, products, refunds, users } from "./schema.mysql.ts";

/*
 * The entities are the Drizzle schema's own row types ($inferSelect), so a column is described once, in the
 * schema (db/schema.mysql.ts, which db/schema.sqlite.ts mirrors column for column).
 */
export type User = typeof users.$inferSelect;
export type Product = typeof products.$inferSelect;
/** The CRM columns orders and refunds keep for the previous release only (db/schema.mysql.ts): never read. */
export type LegacyCrmColumns =
  | "legacyCrmSyncStatus"
  | "legacyCrmAttempts"
  | "legacyCrmLastError"
  | "legacyCrmNextAttemptAt"
  | "legacyCrmClaimedUntil"
  | "legacyCrmReference"
  | "legacyCrmSyncedAt";
export type Order = Omit<typeof orders.$inferSelect, LegacyCrmColumns>;
export type OrderItem = typeof orderItems.$inferSelect;
export type StockState = Order["stockState"];
export type CancelReason = NonNullable<Order["cancelReason"]>;
export type Role = User["role"];
export type OrderStatus = Order["status"];
export type Refund = Omit<typeof refunds.$inferSelect, LegacyCrmColumns>;
export type CrmEvent = typeof crmEvents.$inferSelect;
export type CrmKind = CrmEvent["kind"];
export type CrmSyncStatus = CrmEvent["status"];

/** What a CRM event is about: the paid order, or the succeeded refund, with this id. */
export interface CrmSubject {
  kind: CrmKind;
  subjectId: number;
}

/**
 * An order's CRM sync as its CRM event holds it (the API's `crm_*` fields). An order with no event yet (not
 * paid) shows a pending sync that was never tried.
 */
export interface CrmState {
  crmSyncStatus: CrmSyncStatus;
  crmAttempts: number;
  crmLastError: string | null;
  crmNextAttemptAt: Date | null;
  crmClaimedUntil: Date | null;
  crmReference: string | null;
  crmSyncedAt: Date | null;
}

/** A refund with its CRM sync; a refund that never succeeded has no event, and no status. */
export type RefundWithCrm = Refund &
  Omit<CrmState, "crmSyncStatus"> & { crmSyncStatus: CrmSyncStatus | null };
export type RefundStatus = Refund["status"];
export type RefundReason = NonNullable<Refund["reason"]>;

/** The columns by which the reports know what they counted of an order (db/report-rollups.ts): never shown. */
export type ReportBookkeeping =
  | "reportPending"
  | "reportedStatus"
  | "reportedPaidAt"
  | "reportedRefundedMinor";

/** A product as an order shows it: as it is now (the order's own prices are on its lines). */
export type OrderedProduct = Pick<
  Product,
  "id" | "name" | "priceMinor" | "currency" | "imageHash" | "imageWidth" | "imageHeight"
>;

/** One line of an order, with its product. */
export interface OrderLine {
  product: OrderedProduct;
  quantity: number;
  unitPriceMinor: number;
  amountMinor: number;
}

export interface OrderView extends Omit<Order, ReportBookkeeping>, CrmState {
  /** The first line's product (old clients read `product` and `quantity`). */
  product: OrderedProduct;
  /** Every line, in the order they were asked for; a one-line order has one. */
  items: OrderLine[];
  customerEmail: string;
  /** Oldest first: the order's own refunds and those of payments it could not take. */
  refunds: RefundWithCrm[];
}

/** What the API shows a customer of their order (server/orders/presenter.ts): a read of only these columns. */
export type CustomerOrder = Pick<
  OrderView,
  | "id"
  | "status"
  | "product"
  | "items"
  | "quantity"
  | "unitPriceMinor"
  | "amountMinor"
  | "currency"
  | "itemCount"
  | "refundCount"
  | "refundedMinor"
  | "createdAt"
  | "paidAt"
  | "cancelledAt"
  | "cancelReason"
  | "paymentSessionId"
  | "paymentSessionExpiresAt"
  | "paymentStatus"
  | "crmSyncStatus"
  | "refunds"
>;

/** A refund the app is about to ask Stripe for; written first, so its amount is reserved on the order. */
export type NewRefundAttempt = Required<
  Pick<
    typeof refunds.$inferInsert,
    "orderId" | "attemptKey" | "paymentIntentId" | "appliesToOrder" | "amountMinor" | "currency" | "reason"
  >
>;

/** A refund as Stripe reports it. */
export interface StripeRefundState {
  stripeRefundId: string;
  status: RefundStatus;
  failure: string | null;
}

/** A refund Stripe made that the ledger has no row for (made in Stripe's dashboard, or by a lost request). */
export type DiscoveredRefund = StripeRefundState &
  Pick<
    NewRefundAttempt,
    "orderId" | "paymentIntentId" | "appliesToOrder" | "amountMinor" | "currency" | "reason"
  > & { attemptKey: string | null; createdAt: Date };

export type RefundView = RefundWithCrm & { order: OrderView };

export interface PageRequest {
  limit: number;
  offset: number;
}

export interface Page<T> {
  rows: T[];
  count: number;
}

export type NewUser = Required<Pick<typeof users.$inferInsert, "email" | "name" | "passwordHash" | "role">>;
export type NewProduct = Pick<
  typeof products.$inferInsert,
  | "name"
  | "description"
  | "priceMinor"
  | "currency"
  | "active"
  | "stock"
  | "imageHash"
  | "imageWidth"
  | "imageHeight"
>;
/**
 * A product's details as the admin's form edits them; its stock changes through a StockChange, and its picture
 * only when `imageHash` is given (null: removed).
 */
export type ProductChanges = Omit<NewProduct, "stock">;
/** A line to order, priced from the product row by the caller; its amount is quantity × unit price. */
export interface NewOrderLine {
  productId: number;
  quantity: number;
  unitPriceMinor: number;
  /**
   * Whether the product's stock was limited when the caller read it: only those are held (and locked). One that
   * became limited since is not held, and its units are taken, if they are there, when the order is paid.
   * Unsaid, the store looks (and locks the product if its stock is limited).
   */
  limitedStock?: boolean;
}

/** A basket of one to 50 lines, a product at most once, all in `currency`. */
export interface NewOrder {
  userId: number;
  currency: string;
  lines: NewOrderLine[];
}

/** A product the order asked for more of than there is: how many can still be ordered. */
export interface StockShortage {
  productId: number;
  name: string;
  left: number;
}

/**
 * An order's lines do not fit the stock: thrown by creating an order (nothing is reserved), by holding a released
 * order's units again and by paying an order whose units are no longer there (nothing is paid).
 */
export class StockShortError extends Error {
  constructor(readonly shortages: StockShortage[]) {
    super(`not enough stock: ${shortages.map((short) => `${short.name} (${short.left} left)`).join(", ")}`);
    this.name = "StockShortError";
  }
}

/**
 * An admin's change of a product's stock: `stock` as the form showed it (`shownStock`) and as it was posted,
 * and units added or taken off. A posted stock equal to the shown one keeps what sales did meanwhile.
 */
export interface StockChange {
  shownStock: number | null;
  stock: number | null;
  adjustment: number;
}

/** A stock change the store refused, naming the form field at fault. */
export class StockChangeRefused extends Error {
  constructor(
    readonly field: "stock" | "stock_adjustment",
    message: string,
    /** The product's stock as it is now, for the form to show. */
    readonly current: { stock: number | null; stockReserved: number },
  ) {
    super(message);
    this.name = "StockChangeRefused";
  }
}

/** What the products' stock looks like to a customer: `left` when 5 or fewer can still be ordered. */
export interface Availability {
  availability: "in_stock" | "low" | "sold_out";
  left: number | null;
}

export interface Payment {
  sessionId: string;
  paymentIntentId: string | null;
  paidAt: Date;
  /** The CRM lease taken with the payment by the process that will post the order at once. */
  crmClaimedUntil?: Date;
}

/** What markOrderPaid writes on the order: paid, once. */
export function paidChanges(payment: Payment) {
  return {
    status: "paid" as const,
    paidAt: payment.paidAt,
    paymentSessionId: payment.sessionId,
    paymentIntentId: payment.paymentIntentId,
    paymentStatus: "paid",
  };
}

/** The CRM event markOrderPaid writes with the payment: due at once (claimed, when the payer posts it). */
export function paidCrmState(payment: Payment): CrmState {
  return {
    crmSyncStatus: "pending",
    crmAttempts: 0,
    crmLastError: null,
    crmNextAttemptAt: payment.paidAt,
    crmClaimedUntil: payment.crmClaimedUntil ?? null,
    crmReference: null,
    crmSyncedAt: null,
  };
}

export interface OrderSummary {
  totalOrders: number;
  /** Orders whose payment was taken, refunded or not. */
  paidOrders: number;
  pendingOrders: number;
  cancelledOrders: number;
  /** Net: paid minus refunded. */
  revenueMinorByCurrency: Record<string, number>;
  grossRevenueMinorByCurrency: Record<string, number>;
  refundedMinorByCurrency: Record<string, number>;
}

export interface OrderFilter {
  status?: OrderStatus;
  /** Only paid orders have a CRM sync, so this filter also leaves out unpaid orders. */
  crmSyncStatus?: CrmSyncStatus;
  /** Orders created at or after this instant. */
  createdFrom?: Date;
  /** Orders created before this instant. */
  createdBefore?: Date;
}

/** A run of 15-minute UTC slots (seconds since 1970 / 900) over which a zone keeps one offset, in slots. */
export interface SlotSegment {
  fromSlot: number;
  toSlot: number;
  offsetSlots: number;
}

/** One local day's figures in one currency: orders created that day, orders paid that day and their revenue. */
export interface LocalDaySales {
  /** Days since 1970-01-01 of the local date. */
  day: number;
  currency: string;
  orders: number;
  paidOrders: number;
  revenueMinor: number;
  /** Refunds of orders' own payments made that day. */
  refundsMinor: number;
}

export interface ProductSales {
  product: { id: number; name: string };
  paidOrders: number;
  quantity: number;
  revenueMinor: number;
}

export interface PoolStats {
  inUse: number;
  waiting: number;
  limit: number;
  /** Statements run again after InnoDB rolled them back to break a deadlock, since start. */
  deadlocksRetried: number;
}

export interface CrmHealth {
  /** Paid orders whose CRM sync has not succeeded and will be tried (again). */
  waiting: number;
  /** Paid orders whose last CRM attempt failed. */
  failed: number;
  /** When the longest-waiting of them was paid. */
  oldestWaitingPaidAt: Date | null;
}

export interface NewAdminSession {
  tokenHash: string;
  userId: number;
  createdAt: Date;
  expiresAt: Date;
}

/** A counter of attempts per key: at most `limit` in a window of `windowMs`. */
export interface AuthLimitRule {
  limit: number;
  windowMs: number;
}

export type AuthReservation = { allowed: true } | { allowed: false; retryAt: Date };

export type ProductRemoval = "deleted" | "deactivated" | "missing";

export class EmailTakenError extends Error {
  constructor() {
    super("email already registered");
    this.name = "EmailTakenError";
  }
}
