import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import {
  CANCEL_REASONS,
  CRM_EVENT_KINDS,
  CRM_SYNC_STATUSES,
  ORDER_STATUSES,
  REFUND_REASONS,
  REFUND_STATUSES,
  STOCK_STATES,
} from "./enums.ts";

const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });
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

export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    email: text("email").notNull(),
    name: text("name").notNull().default(""),
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: ["customer", "admin"] })
      .notNull()
      .default("customer"),
    /** Moves with every password or role change: a token that carries an older one is refused (decision 011). */
    tokenVersion: integer("token_version").notNull().default(0),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("users_email_unique").on(table.email)],
);

export const products = sqliteTable(
  "products",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    description: text("description").notNull(),
    priceMinor: integer("price_minor").notNull(),
    currency: text("currency").notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    stock: integer("stock"),
    stockReserved: integer("stock_reserved").notNull().default(0),
    imageHash: text("image_hash"),
    imageWidth: integer("image_width"),
    imageHeight: integer("image_height"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index("products_active_id").on(table.active, table.id),
    index("products_image_hash").on(table.imageHash),
  ],
);

export const orders = sqliteTable(
  "orders",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    productId: integer("product_id")
      .notNull()
      .references(() => products.id),
    quantity: integer("quantity").notNull(),
    unitPriceMinor: integer("unit_price_minor").notNull(),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: ORDER_STATUSES }).notNull().default("pending"),
    itemCount: integer("item_count").notNull().default(1),
    stockState: text("stock_state", { enum: STOCK_STATES }).notNull().default("held"),
    createdAt: createdAt(),
    paidAt: timestamp("paid_at"),
    paymentSessionId: text("payment_session_id"),
    paymentSessionExpiresAt: timestamp("payment_session_expires_at"),
    paymentIntentId: text("payment_intent_id"),
    paymentStatus: text("payment_status").notNull().default("unpaid"),
    /**
     * The CRM state from before the outbox (crm_events), kept one release so that an instance of the previous
     * release keeps working during a rolling upgrade; only CrmStore.adoptLegacyCrmQueue reads them. The next
     * release drops them (docs/decisions/010-crm-outbox.md).
     */
    legacyCrmSyncStatus: text("crm_sync_status", { enum: CRM_SYNC_STATUSES }).notNull().default("pending"),
    legacyCrmAttempts: integer("crm_attempts").notNull().default(0),
    legacyCrmLastError: text("crm_last_error"),
    legacyCrmNextAttemptAt: timestamp("crm_next_attempt_at"),
    legacyCrmClaimedUntil: timestamp("crm_claimed_until"),
    legacyCrmReference: text("crm_reference"),
    legacyCrmSyncedAt: timestamp("crm_synced_at"),
    refundedMinor: integer("refunded_minor").notNull().default(0),
    refundReservedMinor: integer("refund_reserved_minor").notNull().default(0),
    refundCount: integer("refund_count").notNull().default(0),
    cancelledAt: timestamp("cancelled_at"),
    cancelReason: text("cancel_reason", { enum: CANCEL_REASONS }),
    reportPending: integer("report_pending", { mode: "boolean" }).notNull().default(true),
    reportedStatus: text("reported_status", { enum: ORDER_STATUSES }),
    reportedPaidAt: timestamp("reported_paid_at"),
    reportedRefundedMinor: integer("reported_refunded_minor").notNull().default(0),
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

/** See schema.mysql.ts. */
export const orderItems = sqliteTable(
  "order_items",
  {
    orderId: integer("order_id")
      .notNull()
      .references(() => orders.id, { onDelete: "cascade" }),
    line: integer("line").notNull(),
    productId: integer("product_id")
      .notNull()
      .references(() => products.id),
    quantity: integer("quantity").notNull(),
    unitPriceMinor: integer("unit_price_minor").notNull(),
    amountMinor: integer("amount_minor").notNull(),
    reserved: integer("reserved", { mode: "boolean" }).notNull().default(false),
  },
  (table) => [
    primaryKey({ columns: [table.orderId, table.line] }),
    uniqueIndex("order_items_order_product").on(table.orderId, table.productId),
    index("order_items_product_id").on(table.productId),
  ],
);

/** See schema.mysql.ts. */
export const orderTotals = sqliteTable(
  "order_totals",
  {
    currency: text("currency").notNull(),
    status: text("status").notNull(),
    orders: integer("orders").notNull().default(0),
    amountMinor: integer("amount_minor").notNull().default(0),
    refundedMinor: integer("refunded_minor").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.currency, table.status] })],
);

/** See schema.mysql.ts. */
export const adminSessions = sqliteTable(
  "admin_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at").notNull(),
    lastSeenAt: timestamp("last_seen_at").notNull(),
    expiresAt: timestamp("expires_at").notNull(),
  },
  (table) => [index("admin_sessions_user_id").on(table.userId)],
);

/** See schema.mysql.ts. */
export const authLimits = sqliteTable("auth_limits", {
  keyHash: text("key_hash").primaryKey(),
  count: integer("count").notNull(),
  windowEndsAt: timestamp("window_ends_at").notNull(),
  lockouts: integer("lockouts").notNull().default(0),
});

/** See schema.mysql.ts. */
export const orderSlots = sqliteTable(
  "order_slots",
  {
    slot: integer("slot").notNull(),
    currency: text("currency").notNull(),
    orders: integer("orders").notNull().default(0),
    paidOrders: integer("paid_orders").notNull().default(0),
    revenueMinor: integer("revenue_minor").notNull().default(0),
    refundsMinor: integer("refunds_minor").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.slot, table.currency] })],
);

/** See schema.mysql.ts. */
export const productSlots = sqliteTable(
  "product_slots",
  {
    slot: integer("slot").notNull(),
    productId: integer("product_id").notNull(),
    currency: text("currency").notNull(),
    paidOrders: integer("paid_orders").notNull().default(0),
    quantity: integer("quantity").notNull().default(0),
    revenueMinor: integer("revenue_minor").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.slot, table.productId, table.currency] })],
);

/** See schema.mysql.ts. */
export const refunds = sqliteTable(
  "refunds",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    orderId: integer("order_id")
      .notNull()
      .references(() => orders.id),
    stripeRefundId: text("stripe_refund_id"),
    attemptKey: text("attempt_key"),
    paymentIntentId: text("payment_intent_id").notNull(),
    appliesToOrder: integer("applies_to_order", { mode: "boolean" }).notNull(),
    amountMinor: integer("amount_minor").notNull(),
    currency: text("currency").notNull(),
    status: text("status", { enum: REFUND_STATUSES }).notNull(),
    reason: text("reason", { enum: REFUND_REASONS }),
    failure: text("failure"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /**
     * The CRM state from before the outbox (crm_events), kept one release so that an instance of the previous
     * release keeps working during a rolling upgrade; only CrmStore.adoptLegacyCrmQueue reads them. The next
     * release drops them (docs/decisions/010-crm-outbox.md).
     */
    legacyCrmSyncStatus: text("crm_sync_status", { enum: CRM_SYNC_STATUSES }),
    legacyCrmAttempts: integer("crm_attempts").notNull().default(0),
    legacyCrmLastError: text("crm_last_error"),
    legacyCrmNextAttemptAt: timestamp("crm_next_attempt_at"),
    legacyCrmClaimedUntil: timestamp("crm_claimed_until"),
    legacyCrmReference: text("crm_reference"),
    legacyCrmSyncedAt: timestamp("crm_synced_at"),
    reportPending: integer("report_pending", { mode: "boolean" }).notNull().default(true),
    reportedStatus: text("reported_status", { enum: REFUND_STATUSES }),
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

/** See schema.mysql.ts. */
export const productRunning = sqliteTable(
  "product_running",
  {
    currency: text("currency").notNull(),
    productId: integer("product_id").notNull(),
    daySlot: integer("day_slot").notNull(),
    paidOrders: integer("paid_orders").notNull(),
    quantity: integer("quantity").notNull(),
    revenueMinor: integer("revenue_minor").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.currency, table.productId, table.daySlot] }),
    index("product_running_day_slot").on(table.daySlot),
  ],
);

/** See schema.mysql.ts. */
export const rollupMarks = sqliteTable("rollup_marks", {
  name: text("name").primaryKey(),
  daySlot: integer("day_slot").notNull(),
});

/** See schema.mysql.ts. */
export const changeCounters = sqliteTable("change_counters", {
  name: text("name").primaryKey(),
  value: integer("value").notNull(),
});

/** The CRM outbox (see schema.mysql.ts). */
export const crmEvents = sqliteTable(
  "crm_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: CRM_EVENT_KINDS }).notNull(),
    subjectId: integer("subject_id").notNull(),
    status: text("status", { enum: CRM_SYNC_STATUSES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at"),
    claimedUntil: timestamp("claimed_until"),
    reference: text("reference"),
    syncedAt: timestamp("synced_at"),
    lastError: text("last_error"),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("crm_events_kind_subject").on(table.kind, table.subjectId),
    index("crm_events_due").on(table.nextAttemptAt),
    index("crm_events_kind_status_subject").on(table.kind, table.status, table.subjectId),
  ],
);

/** See schema.mysql.ts. */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    provider: text("provider").notNull(),
    eventId: text("event_id").notNull(),
    receivedAt: timestamp("received_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.provider, table.eventId] }),
    index("webhook_events_received_at").on(table.receivedAt),
  ],
);
