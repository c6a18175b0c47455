import { CatalogStore } from "./catalog-store.ts";
import { CrmStore } from "./crm-store.ts";
import { LimitsStore } from "./limits-store.ts";
import mysqlJournal from "./migrations/mysql/meta/_journal.json" with { type: "json" };
import sqliteJournal from "./migrations/sqlite/meta/_journal.json" with { type: "json" };
import { OrderViews } from "./order-views.ts";
import { OrdersStore } from "./orders-store.ts";
import { RefundsStore } from "./refunds-store.ts";
import { ReportsStore } from "./reports-store.ts";
import type { Store } from "./store.ts";
import { type DialectAdapter, withinTransaction } from "./store-part.ts";
import { UsersStore } from "./users-store.ts";
import { WebhooksStore } from "./webhooks-store.ts";

export type { Db, DialectAdapter, Tables, WriteResult } from "./store-part.ts";

/**
 * The one `Store` the server is given: the parts of the store, one per aggregate (db/*-store.ts), behind one
 * object. A service's dependencies name only the parts it uses (`Pick<Store, ...>` or a part's interface in
 * db/store.ts).
 */
export class DrizzleStore implements Store {
  readonly dialect: Store["dialect"];
  private readonly users: UsersStore;
  private readonly catalog: CatalogStore;
  private readonly orderViews: OrderViews;
  private readonly orders: OrdersStore;
  private readonly refunds: RefundsStore;
  private readonly crm: CrmStore;
  private readonly limits: LimitsStore;
  private readonly reports: ReportsStore;
  private readonly webhooks: WebhooksStore;

  constructor(private readonly adapter: DialectAdapter) {
    this.dialect = adapter.dialect;
    this.users = new UsersStore(adapter);
    this.catalog = new CatalogStore(adapter);
    this.orderViews = new OrderViews(adapter);
    this.orders = new OrdersStore(adapter, this.orderViews);
    this.refunds = new RefundsStore(adapter, this.orders, this.orderViews);
    this.crm = new CrmStore(adapter);
    this.limits = new LimitsStore(adapter);
    this.reports = new ReportsStore(adapter);
    this.webhooks = new WebhooksStore(adapter);
  }

  ping() {
    return this.adapter.ping();
  }

  poolStats() {
    return this.adapter.poolStats();
  }

  async schemaProblem(): Promise<string | undefined> {
    const expected = (this.dialect === "mysql" ? mysqlJournal : sqliteJournal).entries.at(-1)?.when ?? 0;
    const applied = await this.adapter.latestMigration();
    if (applied === undefined) return "the database has no tables yet: run bun run db:migrate";
    if (applied < expected) return "the database is missing migrations: run bun run db:migrate";
    return undefined;
  }

  close() {
    return this.adapter.close();
  }

  transaction<T>(work: (tx: Store) => Promise<T>): Promise<T> {
    return this.adapter.transaction((tx) => work(new DrizzleStore(withinTransaction(this.adapter, tx))));
  }

  readonly createUser: Store["createUser"] = (...args) => this.users.createUser(...args);
  readonly findUserByEmail: Store["findUserByEmail"] = (...args) => this.users.findUserByEmail(...args);
  readonly findUserById: Store["findUserById"] = (...args) => this.users.findUserById(...args);
  readonly deleteUser: Store["deleteUser"] = (...args) => this.users.deleteUser(...args);
  readonly listActiveProducts: Store["listActiveProducts"] = (...args) =>
    this.catalog.listActiveProducts(...args);
  readonly catalogVersion: Store["catalogVersion"] = (...args) => this.catalog.catalogVersion(...args);
  readonly findProduct: Store["findProduct"] = (...args) => this.catalog.findProduct(...args);
  readonly listLowStockProducts: Store["listLowStockProducts"] = (...args) =>
    this.catalog.listLowStockProducts(...args);
  readonly isPictureShown: Store["isPictureShown"] = (...args) => this.catalog.isPictureShown(...args);
  readonly findProducts: Store["findProducts"] = (...args) => this.catalog.findProducts(...args);
  readonly findProductByName: Store["findProductByName"] = (...args) =>
    this.catalog.findProductByName(...args);
  readonly createProduct: Store["createProduct"] = (...args) => this.catalog.createProduct(...args);
  readonly createOrder: Store["createOrder"] = (...args) => this.orders.createOrder(...args);
  readonly findOrder: Store["findOrder"] = (...args) => this.orderViews.findOrder(...args);
  readonly findOrderForUser: Store["findOrderForUser"] = (...args) =>
    this.orderViews.findOrderForUser(...args);
  readonly findCustomerOrder: Store["findCustomerOrder"] = (...args) =>
    this.orderViews.findCustomerOrder(...args);
  readonly listOrdersForUser: Store["listOrdersForUser"] = (...args) =>
    this.orderViews.listOrdersForUser(...args);
  readonly summarizeOrders: Store["summarizeOrders"] = (...args) => this.reports.summarizeOrders(...args);
  readonly summarizeOrdersForUser: Store["summarizeOrdersForUser"] = (...args) =>
    this.reports.summarizeOrdersForUser(...args);
  readonly salesByLocalDay: Store["salesByLocalDay"] = (...args) => this.reports.salesByLocalDay(...args);
  readonly topProducts: Store["topProducts"] = (...args) => this.reports.topProducts(...args);
  readonly crmHealth: Store["crmHealth"] = (...args) => this.crm.crmHealth(...args);
  readonly rebuildReportRollups: Store["rebuildReportRollups"] = (...args) =>
    this.reports.rebuildReportRollups(...args);
  readonly foldReportChanges: Store["foldReportChanges"] = (...args) =>
    this.reports.foldReportChanges(...args);
  readonly attachPaymentSession: Store["attachPaymentSession"] = (...args) =>
    this.orders.attachPaymentSession(...args);
  readonly markOrderPaid: Store["markOrderPaid"] = (...args) => this.orders.markOrderPaid(...args);
  readonly recordPaymentStatus: Store["recordPaymentStatus"] = (...args) =>
    this.orders.recordPaymentStatus(...args);
  readonly cancelOrder: Store["cancelOrder"] = (...args) => this.orders.cancelOrder(...args);
  readonly releaseLapsedHolds: Store["releaseLapsedHolds"] = (...args) =>
    this.orders.releaseLapsedHolds(...args);
  readonly findOrderIdByPaymentIntent: Store["findOrderIdByPaymentIntent"] = (...args) =>
    this.orders.findOrderIdByPaymentIntent(...args);
  readonly reserveRefund: Store["reserveRefund"] = (...args) => this.refunds.reserveRefund(...args);
  readonly recordRefundAttemptOnce: Store["recordRefundAttemptOnce"] = (...args) =>
    this.refunds.recordRefundAttemptOnce(...args);
  readonly findRefund: Store["findRefund"] = (...args) => this.refunds.findRefund(...args);
  readonly findRefundByAttemptKey: Store["findRefundByAttemptKey"] = (...args) =>
    this.refunds.findRefundByAttemptKey(...args);
  readonly recordStripeRefund: Store["recordStripeRefund"] = (...args) =>
    this.refunds.recordStripeRefund(...args);
  readonly failRefundAttempt: Store["failRefundAttempt"] = (...args) =>
    this.refunds.failRefundAttempt(...args);
  readonly listStaleRefundAttempts: Store["listStaleRefundAttempts"] = (...args) =>
    this.refunds.listStaleRefundAttempts(...args);
  readonly listDueCrmEvents: Store["listDueCrmEvents"] = (...args) => this.crm.listDueCrmEvents(...args);
  readonly claimCrmEvent: Store["claimCrmEvent"] = (...args) => this.crm.claimCrmEvent(...args);
  readonly recordCrmSuccess: Store["recordCrmSuccess"] = (...args) => this.crm.recordCrmSuccess(...args);
  readonly recordCrmFailure: Store["recordCrmFailure"] = (...args) => this.crm.recordCrmFailure(...args);
  readonly requestCrmResync: Store["requestCrmResync"] = (...args) => this.crm.requestCrmResync(...args);
  readonly adoptLegacyCrmQueue: Store["adoptLegacyCrmQueue"] = (...args) =>
    this.crm.adoptLegacyCrmQueue(...args);
  readonly reserveAuthAttempt: Store["reserveAuthAttempt"] = (...args) =>
    this.limits.reserveAuthAttempt(...args);
  readonly releaseAuthAttempt: Store["releaseAuthAttempt"] = (...args) =>
    this.limits.releaseAuthAttempt(...args);
  readonly resetAuthLimit: Store["resetAuthLimit"] = (...args) => this.limits.resetAuthLimit(...args);
  readonly extendAuthLockout: Store["extendAuthLockout"] = (...args) =>
    this.limits.extendAuthLockout(...args);
  readonly pruneAuthLimits: Store["pruneAuthLimits"] = (...args) => this.limits.pruneAuthLimits(...args);
  readonly isWebhookEventApplied: Store["isWebhookEventApplied"] = (...args) =>
    this.webhooks.isWebhookEventApplied(...args);
  readonly recordWebhookEventApplied: Store["recordWebhookEventApplied"] = (...args) =>
    this.webhooks.recordWebhookEventApplied(...args);
  readonly pruneWebhookEvents: Store["pruneWebhookEvents"] = (...args) =>
    this.webhooks.pruneWebhookEvents(...args);
  readonly createAdminSession: Store["createAdminSession"] = (...args) =>
    this.users.createAdminSession(...args);
  readonly findAdminSession: Store["findAdminSession"] = (...args) => this.users.findAdminSession(...args);
  readonly touchAdminSession: Store["touchAdminSession"] = (...args) => this.users.touchAdminSession(...args);
  readonly deleteAdminSession: Store["deleteAdminSession"] = (...args) =>
    this.users.deleteAdminSession(...args);
  readonly deleteExpiredAdminSessions: Store["deleteExpiredAdminSessions"] = (...args) =>
    this.users.deleteExpiredAdminSessions(...args);
  readonly promoteToAdmin: Store["promoteToAdmin"] = (...args) => this.users.promoteToAdmin(...args);
  readonly changePassword: Store["changePassword"] = (...args) => this.users.changePassword(...args);
  readonly listProducts: Store["listProducts"] = (...args) => this.catalog.listProducts(...args);
  readonly updateProduct: Store["updateProduct"] = (...args) => this.catalog.updateProduct(...args);
  readonly removeProduct: Store["removeProduct"] = (...args) => this.catalog.removeProduct(...args);
  readonly listOrders: Store["listOrders"] = (...args) => this.orderViews.listOrders(...args);
  readonly listOrdersBefore: Store["listOrdersBefore"] = (...args) =>
    this.orderViews.listOrdersBefore(...args);
}
