/**
 * The data-access interface the server uses: one part per aggregate, summed into `Store`; db/drizzle-store.ts
 * implements it for MySQL and SQLite. The entities and inputs it speaks in are in db/entities.ts.
 */
import type {
  AuthLimitRule,
  AuthReservation,
  CancelReason,
  CrmHealth,
  CrmSubject,
  CustomerOrder,
  DiscoveredRefund,
  LocalDaySales,
  NewAdminSession,
  NewOrder,
  NewProduct,
  NewRefundAttempt,
  NewUser,
  OrderedProduct,
  OrderFilter,
  OrderSummary,
  OrderView,
  Page,
  PageRequest,
  Payment,
  PoolStats,
  Product,
  ProductChanges,
  ProductRemoval,
  ProductSales,
  Refund,
  RefundView,
  SlotSegment,
  StockChange,
  User,
} from "./entities.ts";

export * from "./entities.ts";

/** The database itself: which, whether it answers and is migrated, its pool. */
export interface DatabasePart {
  readonly dialect: "mysql" | "sqlite";
  ping(): Promise<void>;
  /** MySQL's pool: connections in use, requests waiting for one, and the limit; undefined for SQLite. */
  poolStats(): PoolStats | undefined;
  /** Why the schema cannot serve this version (no tables, migrations missing), or undefined when it can. */
  schemaProblem(): Promise<string | undefined>;
  close(): Promise<void>;
  /**
   * Runs `work` in one transaction, given the store as seen inside it: every call on `tx` is part of the
   * transaction, which commits when `work` resolves and rolls back when it throws. On MySQL a transaction the
   * database rolled back for a deadlock or a lock wait is run again from the start, so `work` does database
   * work only (no call to Stripe or the CRM). On SQLite, transactions run one at a time.
   */
  transaction<T>(work: (tx: Store) => Promise<T>): Promise<T>;
}

/** Users, and admin sessions: a session ends when its row goes (sign-out, a new password, the user deleted). */
export interface UsersPart {
  /** Throws EmailTakenError when the (lower-cased) email is already registered. */
  createUser(input: NewUser): Promise<User>;
  findUserByEmail(email: string): Promise<User | undefined>;
  findUserById(id: number): Promise<User | undefined>;
  deleteUser(id: number): Promise<boolean>;
  createAdminSession(session: NewAdminSession): Promise<void>;
  /** The session's admin, when the session is neither expired nor idle since `idleSince` and the user is an admin. */
  findAdminSession(tokenHash: string, now: Date, idleSince: Date): Promise<User | undefined>;
  /** Records activity; writes only when the last record is older than `staleBefore`, to spare a write per page. */
  touchAdminSession(tokenHash: string, now: Date, staleBefore: Date): Promise<void>;
  deleteAdminSession(tokenHash: string): Promise<void>;
  deleteExpiredAdminSessions(now: Date, idleSince: Date): Promise<void>;
  /** Makes the user an admin with a new password, and ends every session and token they had. */
  promoteToAdmin(userId: number, passwordHash: string): Promise<void>;
  /**
   * Sets a new password and ends every token and admin session of the user but the admin session whose hash is
   * `keepAdminSessionHash`; the user as now stored (its new token version), undefined when there is none.
   */
  changePassword(
    userId: number,
    passwordHash: string,
    keepAdminSessionHash?: string,
  ): Promise<User | undefined>;
}

/** The products, and the counter every catalog write moves. */
export interface CatalogPart {
  listActiveProducts(page: PageRequest): Promise<Page<Product>>;
  /** A number that moves with every write to the products table, made anywhere. */
  catalogVersion(): Promise<number>;
  findProduct(id: number): Promise<Product | undefined>;
  /** Whether any product (active or not) shows the picture of this hash. */
  isPictureShown(hash: string): Promise<boolean>;
  /** The products of these ids that exist, in no particular order. */
  findProducts(ids: number[]): Promise<Product[]>;
  findProductByName(name: string): Promise<Product | undefined>;
  createProduct(input: NewProduct): Promise<Product>;
  listProducts(page: PageRequest): Promise<Page<Product>>;
  /**
   * Saves the product's details and, given one, a stock change, in one transaction: StockChangeRefused (and
   * nothing saved) when the stock the form showed was changed meanwhile by sales and the form changes it too,
   * or when the result would be below what unpaid orders hold.
   */
  updateProduct(id: number, changes: ProductChanges, stock?: StockChange): Promise<Product | undefined>;
  /** Active products with limited stock of which `atMost` or fewer can still be ordered, fewest first. */
  listLowStockProducts(atMost: number, limit: number): Promise<Product[]>;
  /** Erases a product no order refers to; one with orders is deactivated instead, so they keep their history. */
  removeProduct(id: number): Promise<ProductRemoval>;
}

/** Orders as they are shown: with their product or lines, customer, refunds and CRM state. */
export interface OrderViewsPart {
  findOrder(orderId: number): Promise<OrderView | undefined>;
  findOrderForUser(orderId: number, userId: number): Promise<OrderView | undefined>;
  /** The customer's own order as the API shows it: only the columns its answer needs. */
  findCustomerOrder(orderId: number, userId: number): Promise<CustomerOrder | undefined>;
  listOrdersForUser(userId: number, page: PageRequest): Promise<Page<CustomerOrder>>;
  listOrders(filter: OrderFilter, page: PageRequest): Promise<Page<OrderView>>;
  /** A batch of the filter's orders, newest first, with ids below `beforeId`: the export walks them all. */
  listOrdersBefore(filter: OrderFilter, beforeId: number | undefined, limit: number): Promise<OrderView[]>;
}

/** Orders and payments. Each transition is conditional on the order being pending, so races cannot double-apply. */
export interface OrdersPart extends OrderViewsPart {
  /**
   * Inserts a pending order and its lines, holding the units of products with limited stock in the same
   * transaction: StockShortError, and nothing written, when a line does not fit. Given what the caller already
   * knows (each line's product, the customer's email), the view is made from the insert's own values.
   */
  createOrder(
    input: NewOrder,
    known?: { products: OrderedProduct[]; customerEmail: string },
  ): Promise<OrderView>;
  /**
   * Gives the pending order its new checkout session (false when it is not pending any more), holding its units
   * again in the same transaction when an earlier checkout lapsed and released them: StockShortError, and nothing
   * attached, when they are no longer there.
   */
  attachPaymentSession(orderId: number, session: { id: string; expiresAt: Date }): Promise<boolean>;
  /**
   * pending -> paid, once: true only for the call that made the transition. Sells the order's units and
   * schedules the CRM sync; throws StockShortError (and pays nothing) when units it no longer holds are gone.
   */
  markOrderPaid(orderId: number, payment: Payment): Promise<boolean>;
  /**
   * Records a non-paid outcome (expired, failed) of the order's current session while it is unpaid, and
   * releases the units it held.
   */
  recordPaymentStatus(orderId: number, sessionId: string, paymentStatus: string): Promise<boolean>;
  /** pending -> cancelled, once: true only for the call that made the transition. Releases the units it held. */
  cancelOrder(orderId: number, at: Date, reason?: CancelReason): Promise<boolean>;
  /**
   * Releases the units of pending orders made before `heldSince` whose checkout, if any, lapsed before `now`:
   * abandoned baskets give their stock back. Answers how many it released (at most `limit`).
   */
  releaseLapsedHolds(now: Date, heldSince: Date, limit: number): Promise<number>;
  /** The order that a Stripe payment intent paid, or whose second payment it was. */
  findOrderIdByPaymentIntent(paymentIntentId: string): Promise<number | undefined>;
}

/**
 * Refunds. Each write of a refund row keeps its order's refund sums and status in step, in one transaction with
 * the order's row locked (db/refund-ledger.ts).
 */
export interface RefundsPart {
  /** Writes a pending attempt; undefined when the order has not that much left to refund (or is not paid). */
  reserveRefund(attempt: NewRefundAttempt): Promise<Refund | undefined>;
  /** Writes a pending attempt that does not apply to the order's payment, once per attempt key. */
  recordRefundAttemptOnce(attempt: NewRefundAttempt): Promise<Refund>;
  findRefund(id: number): Promise<RefundView | undefined>;
  findRefundByAttemptKey(attemptKey: string): Promise<Refund | undefined>;
  /**
   * Applies what Stripe says about one of its refunds: to the attempt whose key it carries, else to the row
   * with its id, else as a new row. A status only moves forward (pending -> succeeded | failed, succeeded ->
   * failed), so a late or repeated event changes nothing. A succeeded refund is queued for the CRM.
   */
  recordStripeRefund(refund: DiscoveredRefund, now: Date): Promise<Refund>;
  /** An attempt Stripe refused or never answered: pending -> failed, which releases its reservation. */
  failRefundAttempt(id: number, failure: string, now: Date): Promise<boolean>;
  /** Pending attempts without a Stripe id written before `before`: their requests are over, so reconcile them. */
  listStaleRefundAttempts(before: Date, limit: number): Promise<Refund[]>;
}

/**
 * The CRM outbox: one event per paid order and per succeeded refund, written in the transaction that caused it.
 * A claim is a lease (claimed_until): only its holder may settle the attempt, and a lease left behind by a dead
 * process simply runs out.
 */
export interface CrmPart {
  crmHealth(): Promise<CrmHealth>;
  /** Events due by `now` that nobody holds, the longest due first. */
  listDueCrmEvents(now: Date, limit: number): Promise<CrmSubject[]>;
  /** Takes the event's lease until `leaseUntil` if it is due and free: false when it is not (any more). */
  claimCrmEvent(subject: CrmSubject, now: Date, leaseUntil: Date): Promise<boolean>;
  /** Settles a claimed attempt; false when the lease `leaseUntil` is no longer the event's. */
  recordCrmSuccess(
    subject: CrmSubject,
    leaseUntil: Date,
    result: { reference: string | null; syncedAt: Date },
  ): Promise<boolean>;
  recordCrmFailure(
    subject: CrmSubject,
    leaseUntil: Date,
    result: { error: string; attempts: number; nextAttemptAt: Date | null },
  ): Promise<boolean>;
  /** Puts a failed event back in the queue with a fresh attempt budget. */
  requestCrmResync(subject: CrmSubject, now: Date): Promise<boolean>;
  /** Moves what the previous release queued on its own columns into events; says how many it moved. */
  adoptLegacyCrmQueue(now: Date): Promise<number>;
}

/** Sign-in and registration limits, shared by every instance through the database. */
export interface LimitsPart {
  /** Counts one attempt against the key unless its window already holds `limit`; then says when to retry. */
  reserveAuthAttempt(keyHash: string, rule: AuthLimitRule, now: Date): Promise<AuthReservation>;
  /** Gives back an attempt that did not fail (it succeeded, or never reached the password check). */
  releaseAuthAttempt(keyHash: string): Promise<void>;
  /** Forgets the key's count and lockouts. */
  resetAuthLimit(keyHash: string): Promise<void>;
  /**
   * After a failure that filled the key's window: locks the key for `windowMs * 2^lockouts` (capped at
   * `maxLockMs`), so a burst that comes back after each lockout waits longer every time.
   */
  extendAuthLockout(keyHash: string, rule: AuthLimitRule, now: Date, maxLockMs: number): Promise<void>;
  /** Forgets counters whose window ended before `before`. */
  pruneAuthLimits(before: Date): Promise<void>;
}

/** Payment webhook deliveries already applied (Razorpay numbers each event; a redelivery repeats the number). */
export interface WebhooksPart {
  isWebhookEventApplied(provider: string, eventId: string): Promise<boolean>;
  /** Written once the event's work is done, so an event whose work failed is done when it is delivered again. */
  recordWebhookEventApplied(provider: string, eventId: string, at: Date): Promise<void>;
  pruneWebhookEvents(before: Date): Promise<void>;
}

/**
 * Reports over the rollups (order_totals, order_slots, product_slots), each folding the orders and refunds
 * changed since the last report first (db/report-rollups.ts); none reads `orders` but one customer's summary.
 */
export interface ReportsPart {
  summarizeOrders(): Promise<OrderSummary>;
  /** The same figures over one customer's orders. */
  summarizeOrdersForUser(userId: number): Promise<OrderSummary>;
  /** Per local day and currency, over each segment's slots, the day counted with the segment's offset. */
  salesByLocalDay(segments: SlotSegment[]): Promise<LocalDaySales[]>;
  /** Products by paid revenue in one currency over [fromSlot, toSlot), highest first, ties by id. */
  topProducts(range: {
    fromSlot: number;
    toSlot: number;
    currency: string;
    limit: number;
  }): Promise<ProductSales[]>;
  /**
   * Makes every derived figure (the orders' refund sums and status, the report rollups) again from the orders
   * and refunds: after a change made by hand in SQL, which no rule of the store sees, or a bulk load.
   */
  rebuildReportRollups(): Promise<void>;
  /** Folds the orders and refunds changed since the last report into the rollups (each report does so first). */
  foldReportChanges(): Promise<void>;
}

/** The one data-access interface the server uses, in one part per aggregate; db/drizzle-store.ts implements it. */
export interface Store
  extends DatabasePart,
    UsersPart,
    CatalogPart,
    OrdersPart,
    RefundsPart,
    CrmPart,
    LimitsPart,
    WebhooksPart,
    ReportsPart {}
