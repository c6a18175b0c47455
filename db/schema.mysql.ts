import {
  bigint,
  boolean,
  char,
  datetime,
  index,
  int,
  mysqlTable,
  primaryKey,
  text,
  uniqueIndex,
  varchar,
} from "drizzle-orm/mysql-core";
import {
  CANCEL_REASONS,
  CRM_EVENT_KINDS,
  CRM_SYNC_STATUSES,
  ORDER_STATUSES,
  REFUND_REASONS,
  REFUND_STATUSES,
  STOCK_STATES,
} from "./enums.ts";

const timestamp = (name: string) => datetime(name, { mode: "date", fsp: 3 });
/** Set by Drizzle when an insert does not say (the store passes its own instant where it needs it). */
const createdAt = () =>
  timestamp("created_at")
    .notNull()
    .$defaultFn(() => new Date());
/** Also set on every update that does not say. */
const updatedAt = () =>
  timestamp("updated_at")
    .notNull()
    .$defaultFn(() => new Date())
    .$onUpdateFn(() => new Date());

export const users = mysqlTable(
  "users",
  {
    id: bigint("id", { mode: "number", unsigned: true }).autoincrement().primaryKey(),
    email: varchar("email", { length: 254 }).notNull(),
    name: varchar("name", { length: 120 }).notNull().default(""),
    passwordHash: varchar("password_hash", { length: 255 }).notNull(),
    role: varchar("role", { length: 16, enum: ["customer", "admin"] })
      .notNull()
      .default("customer"),
    /** Moves with every password or role change: a token that carries an older one is refused (decision 011). */
    tokenVersion: int("token_version").notNull().default(0),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("users_email_unique").on(table.email)],
);

export const products = mysqlTable(
  "products",
  {
    id: bigint("id", { mode: "number", unsigned: true }).autoincrement().primaryKey(),
    name: varchar("name", { length: 200 }).notNull(),
    description: text("description").notNull(),
    priceMinor: int("price_minor").notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    active: boolean("active").notNull().default(true),
    /** Units on hand (sold ones are taken off when paid); null: unlimited. */
    stock: int("stock"),
    /** Units of `stock` held by unpaid orders (db/stock.ts): what can still be ordered is stock - stock_reserved. */
    stockReserved: int("stock_reserved").notNull().default(0),
    /**
     * The product's picture: the SHA-256 of the uploaded file, which names its WebP versions in MEDIA_DIR, and the
     * largest version's size (server/products/pictures.ts); null without one.
     */
    imageHash: char("image_hash", { length: 64 }),
    imageWidth: int("image_width"),
    imageHeight: int("image_height"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index("products_active_id").on(table.active, table.id),
    index("products_image_hash").on(table.imageHash),
  ],
);

export const orders = mysqlTable(
  "orders",
  {
    id: bigint("id", { mode: "number", unsigned: true }).autoincrement().primaryKey(),
    userId: bigint("user_id", { mode: "number", unsigned: true })
      .notNull()
      .references(() => users.id),
    productId: bigint("product_id", { mode: "number", unsigned: true })
      .notNull()
      .references(() => products.id),
    quantity: int("quantity").notNull(),
    unitPriceMinor: int("unit_price_minor").notNull(),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    status: varchar("status", { length: 16, enum: ORDER_STATUSES }).notNull().default("pending"),
    /** Its lines (order_items); product_id, quantity and unit_price_minor repeat the first one's. */
    itemCount: int("item_count").notNull().default(1),
    stockState: varchar("stock_state", { length: 16, enum: STOCK_STATES }).notNull().default("held"),
    createdAt: createdAt(),
    paidAt: timestamp("paid_at"),
    paymentSessionId: varchar("payment_session_id", { length: 255 }),
    paymentSessionExpiresAt: timestamp("payment_session_expires_at"),
    paymentIntentId: varchar("payment_intent_id", { length: 255 }),
    paymentStatus: varchar("payment_status", { length: 32 }).notNull().default("unpaid"),
    /**
     * The CRM state from before the outbox (crm_events), kept one release so that an instance of the previous
     * release keeps working during a rolling upgrade; only CrmStore.adoptLegacyCrmQueue reads them. The next
     * release drops them (docs/decisions/010-crm-outbox.md).
     */
    legacyCrmSyncStatus: varchar("crm_sync_status", { length: 16, enum: CRM_SYNC_STATUSES })
      .notNull()
      .default("pending"),
    legacyCrmAttempts: int("crm_attempts").notNull().default(0),
    legacyCrmLastError: varchar("crm_last_error", { length: 500 }),
    legacyCrmNextAttemptAt: timestamp("crm_next_attempt_at"),
    legacyCrmClaimedUntil: timestamp("crm_claimed_until"),
    legacyCrmReference: varchar("crm_reference", { length: 255 }),
    legacyCrmSyncedAt: timestamp("crm_synced_at"),
    /** Sums over this order's own refunds (not those of a second payment), kept by the refunds ledger's writes. */
    refundedMinor: bigint("refunded_minor", { mode: "number" }).notNull().default(0),
    refundReservedMinor: bigint("refund_reserved_minor", { mode: "number" }).notNull().default(0),
    refundCount: int("refund_count").notNull().default(0),
    cancelledAt: timestamp("cancelled_at"),
    cancelReason: varchar("cancel_reason", { length: 16, enum: CANCEL_REASONS }),
    /**
     * The order as the report rollups count it, and whether it changed since (set by every write that changes
     * what they count). Reports fold the changed orders first (db/report-rollups.ts): so no purchase writes a row
     * other purchases write too, and a report is exact right after a payment.
     */
    reportPending: boolean("report_pending").notNull().default(true),
    reportedStatus: varchar("reported_status", { length: 16, enum: ORDER_STATUSES }),
    reportedPaidAt: timestamp("reported_paid_at"),
    reportedRefundedMinor: bigint("reported_refunded_minor", { mode: "number" }).notNull().default(0),
  },
  (table) => [
    index("orders_user_id_id").on(table.userId, table.id),
    index("orders_payment_intent_id").on(table.paymentIntentId),
    index("orders_product_id").on(table.productId),
    index("orders_status_id").on(table.status, table.id),
    index("orders_crm_status_id").on(table.legacyCrmSyncStatus, table.id),
    index("orders_crm_due").on(table.legacyCrmNextAttemptAt),
    index("orders_report_pending_id").on(table.reportPending, table.id),
    index("orders_stock_state_created_at").on(table.stockState, table.createdAt),
    uniqueIndex("orders_payment_session_id").on(table.paymentSessionId),
  ],
);

/**
 * An order's lines, a product at most once, priced when the order was made. `reserved`: the line's units were
 * counted in its product's stock_reserved when the order last took its hold (the product had limited stock).
 */
export const orderItems = mysqlTable(
  "order_items",
  {
    orderId: bigint("order_id", { mode: "number", unsigned: true })
      .notNull()
      .references(() => orders.id, { onDelete: "cascade" }),
    line: int("line").notNull(),
    productId: bigint("product_id", { mode: "number", unsigned: true })
      .notNull()
      .references(() => products.id),
    quantity: int("quantity").notNull(),
    unitPriceMinor: int("unit_price_minor").notNull(),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
    reserved: boolean("reserved").notNull().default(false),
  },
  (table) => [
    primaryKey({ columns: [table.orderId, table.line] }),
    uniqueIndex("order_items_order_product").on(table.orderId, table.productId),
    index("order_items_product_id").on(table.productId),
  ],
);

/**
 * Running totals per (currency, status), so the summary report reads a handful of rows however many orders there
 * are. Folded from `report_deltas` (db/report-rollups.ts, docs/decisions/009-rules-in-transactions.md).
 */
export const orderTotals = mysqlTable(
  "order_totals",
  {
    currency: char("currency", { length: 3 }).notNull(),
    status: varchar("status", { length: 16 }).notNull(),
    orders: bigint("orders", { mode: "number" }).notNull().default(0),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull().default(0),
    refundedMinor: bigint("refunded_minor", { mode: "number" }).notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.currency, table.status] })],
);

/**
 * Signed-in admin sessions. The cookie holds a random token; only its SHA-256 is stored, so a leaked table
 * signs nobody in. Deleting a row ends the session on every instance at once.
 */
export const adminSessions = mysqlTable(
  "admin_sessions",
  {
    tokenHash: char("token_hash", { length: 64 }).primaryKey(),
    userId: bigint("user_id", { mode: "number", unsigned: true })
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at").notNull(),
    lastSeenAt: timestamp("last_seen_at").notNull(),
    expiresAt: timestamp("expires_at").notNull(),
  },
  (table) => [index("admin_sessions_user_id").on(table.userId)],
);

/**
 * Counters of sign-in failures and registrations per key (an IP, an account, an account from one IP), shared
 * by every instance. The key is a SHA-256, so the table holds no email or address.
 */
export const authLimits = mysqlTable("auth_limits", {
  keyHash: char("key_hash", { length: 64 }).primaryKey(),
  count: int("count").notNull(),
  windowEndsAt: timestamp("window_ends_at").notNull(),
  lockouts: int("lockouts").notNull().default(0),
});

/**
 * Orders and paid revenue per 15-minute slot of UTC time (slot = seconds since 1970 / 900) and currency, folded
 * from `report_deltas` (docs/decisions/002-report-totals.md, 009-rules-in-transactions.md). Every time zone's
 * offset is a whole number of quarter hours, so a local day, week or month is a whole number of slots: the sales
 * report sums slots, never `orders`. An order counts in the slot it was created in; its payment and revenue in
 * the slot it was paid in.
 */
export const orderSlots = mysqlTable(
  "order_slots",
  {
    slot: int("slot").notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    orders: int("orders").notNull().default(0),
    paidOrders: int("paid_orders").notNull().default(0),
    revenueMinor: bigint("revenue_minor", { mode: "number" }).notNull().default(0),
    /** Succeeded refunds of orders' own payments, in the slot the refund was made in. */
    refundsMinor: bigint("refunds_minor", { mode: "number" }).notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.slot, table.currency] })],
);

/** Paid orders, quantity and revenue per product and 15-minute slot of payment, kept like `order_slots`. */
export const productSlots = mysqlTable(
  "product_slots",
  {
    slot: int("slot").notNull(),
    productId: bigint("product_id", { mode: "number", unsigned: true }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    paidOrders: int("paid_orders").notNull().default(0),
    quantity: int("quantity").notNull().default(0),
    revenueMinor: bigint("revenue_minor", { mode: "number" }).notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.slot, table.productId, table.currency] })],
);

/**
 * Refunds, one row per attempt the app makes and per refund Stripe reports. An attempt row is written before
 * Stripe is called (without a Stripe id), in the transaction that checks and reserves its amount on the locked
 * order row, so concurrent refunds can never exceed the payment. Every write of a row keeps the order's refunded
 * / reserved sums, its paid <-> refunded status and the report rollups in step, in the same transaction
 * (db/refund-ledger.ts, docs/decisions/009-rules-in-transactions.md).
 */
export const refunds = mysqlTable(
  "refunds",
  {
    id: bigint("id", { mode: "number", unsigned: true }).autoincrement().primaryKey(),
    orderId: bigint("order_id", { mode: "number", unsigned: true })
      .notNull()
      .references(() => orders.id),
    stripeRefundId: varchar("stripe_refund_id", { length: 255 }),
    /** Ours: also sent to Stripe as metadata, so a refund Stripe made is matched to its attempt. */
    attemptKey: varchar("attempt_key", { length: 100 }),
    paymentIntentId: varchar("payment_intent_id", { length: 255 }).notNull(),
    /** false for the refund of a payment the order could not take (a second payment, a cancelled order). */
    appliesToOrder: boolean("applies_to_order").notNull(),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    status: varchar("status", { length: 16, enum: REFUND_STATUSES }).notNull(),
    reason: varchar("reason", { length: 32, enum: REFUND_REASONS }),
    failure: varchar("failure", { length: 500 }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /**
     * The CRM state from before the outbox (crm_events), kept one release so that an instance of the previous
     * release keeps working during a rolling upgrade; only CrmStore.adoptLegacyCrmQueue reads them. The next
     * release drops them (docs/decisions/010-crm-outbox.md).
     */
    legacyCrmSyncStatus: varchar("crm_sync_status", { length: 16, enum: CRM_SYNC_STATUSES }),
    legacyCrmAttempts: int("crm_attempts").notNull().default(0),
    legacyCrmLastError: varchar("crm_last_error", { length: 500 }),
    legacyCrmNextAttemptAt: timestamp("crm_next_attempt_at"),
    legacyCrmClaimedUntil: timestamp("crm_claimed_until"),
    legacyCrmReference: varchar("crm_reference", { length: 255 }),
    legacyCrmSyncedAt: timestamp("crm_synced_at"),
    /** The refund's status as the report rollups count it, and whether it changed since (see `orders`). */
    reportPending: boolean("report_pending").notNull().default(true),
    reportedStatus: varchar("reported_status", { length: 16, enum: REFUND_STATUSES }),
  },
  (table) => [
    uniqueIndex("refunds_stripe_refund_id").on(table.stripeRefundId),
    uniqueIndex("refunds_attempt_key").on(table.attemptKey),
    index("refunds_order_id_id").on(table.orderId, table.id),
    index("refunds_status_created_at").on(table.status, table.createdAt),
    index("refunds_crm_due").on(table.legacyCrmNextAttemptAt),
    index("refunds_report_pending_id").on(table.reportPending, table.id),
  ],
);

/**
 * Per product and currency, paid orders, quantity and revenue from the beginning through the end of a UTC day
 * (`day_slot`: the day's first slot), one row per day with a sale, for days that are over. The products report
 * reads a range's interior as two of these per product (its end minus its start), so its cost follows the
 * number of products, not of orders. Made lazily from `product_slots` by the report (db/drizzle-store.ts);
 * `rollup_marks` says through which day the rows are complete, and folding a delta into an earlier slot (a
 * backfill) moves that mark back (db/report-rollups.ts, docs/decisions/002-report-totals.md).
 */
export const productRunning = mysqlTable(
  "product_running",
  {
    currency: char("currency", { length: 3 }).notNull(),
    productId: bigint("product_id", { mode: "number", unsigned: true }).notNull(),
    daySlot: int("day_slot").notNull(),
    paidOrders: bigint("paid_orders", { mode: "number" }).notNull(),
    quantity: bigint("quantity", { mode: "number" }).notNull(),
    revenueMinor: bigint("revenue_minor", { mode: "number" }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.currency, table.productId, table.daySlot] }),
    index("product_running_day_slot").on(table.daySlot),
  ],
);

/** Named marks of how far a lazily made rollup is complete (`product_running`: the last day_slot it covers). */
export const rollupMarks = mysqlTable("rollup_marks", {
  name: varchar("name", { length: 32 }).primaryKey(),
  daySlot: int("day_slot").notNull(),
});

/**
 * Counters that move on every change of something instances keep in memory: `products` counts every write to
 * the products table (the store's catalog writes move it in their transaction). Each instance reads it a few
 * times a second and drops its copy of the catalog when it moved, so a change made anywhere shows everywhere
 * within CATALOG_CHECK_MS.
 */
export const changeCounters = mysqlTable("change_counters", {
  name: varchar("name", { length: 32 }).primaryKey(),
  value: bigint("value", { mode: "number" }).notNull(),
});

/**
 * The CRM outbox: one row per paid order and per succeeded refund, written in the transaction that paid the order
 * or recorded the refund, so nothing the CRM must hear of can exist without its event. The row is the event's
 * whole sync state: a claim is a lease (`claimed_until`) that only its holder may settle
 * (docs/decisions/003-crm-lease.md, 010-crm-outbox.md).
 */
export const crmEvents = mysqlTable(
  "crm_events",
  {
    id: bigint("id", { mode: "number", unsigned: true }).autoincrement().primaryKey(),
    kind: varchar("kind", { length: 8, enum: CRM_EVENT_KINDS }).notNull(),
    /** The order's id, or the refund's. */
    subjectId: bigint("subject_id", { mode: "number", unsigned: true }).notNull(),
    status: varchar("status", { length: 16, enum: CRM_SYNC_STATUSES }).notNull().default("pending"),
    attempts: int("attempts").notNull().default(0),
    /** When it is tried (again); null once it succeeded or used up its attempts. */
    nextAttemptAt: timestamp("next_attempt_at"),
    claimedUntil: timestamp("claimed_until"),
    reference: varchar("reference", { length: 255 }),
    syncedAt: timestamp("synced_at"),
    lastError: varchar("last_error", { length: 500 }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("crm_events_kind_subject").on(table.kind, table.subjectId),
    index("crm_events_due").on(table.nextAttemptAt),
    index("crm_events_kind_status_subject").on(table.kind, table.status, table.subjectId),
  ],
);

/**
 * Payment provider webhook deliveries already applied, by the provider's own event id (Razorpay's
 * X-Razorpay-Event-Id): a redelivery of one is acknowledged without doing its work again. Written after the work,
 * so an event whose work failed is done when it comes again; rows older than a week are deleted (Razorpay stops
 * retrying after a day).
 */
export const webhookEvents = mysqlTable(
  "webhook_events",
  {
    provider: varchar("provider", { length: 16 }).notNull(),
    eventId: varchar("event_id", { length: 64 }).notNull(),
    receivedAt: timestamp("received_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.provider, table.eventId] }),
    index("webhook_events_received_at").on(table.receivedAt),
  ],
);
