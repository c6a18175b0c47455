/** The one data-access interface the server uses; db/drizzle-store.ts implements it for MySQL and SQLite. */

export type Role = "customer" | "admin";
export type OrderStatus = "pending" | "paid";
export type CrmSyncStatus = "pending" | "success" | "failed";

export interface User {
  id: number;
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
  createdAt: Date;
}

export interface Product {
  id: number;
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface Order {
  id: number;
  userId: number;
  productId: number;
  quantity: number;
  unitPriceMinor: number;
  amountMinor: number;
  currency: string;
  status: OrderStatus;
  createdAt: Date;
  paidAt: Date | null;
  paymentSessionId: string | null;
  paymentSessionExpiresAt: Date | null;
  paymentIntentId: string | null;
  paymentStatus: string;
  crmSyncStatus: CrmSyncStatus;
  crmAttempts: number;
  crmLastError: string | null;
  crmNextAttemptAt: Date | null;
  crmClaimedUntil: Date | null;
  crmReference: string | null;
  crmSyncedAt: Date | null;
}

export interface OrderView extends Order {
  product: { id: number; name: string; priceMinor: number; currency: string };
  customerEmail: string;
}

export interface PageRequest {
  limit: number;
  offset: number;
}

export interface Page<T> {
  rows: T[];
  count: number;
}

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
}

export interface NewProduct {
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
  active?: boolean;
}

export interface NewOrder {
  userId: number;
  productId: number;
  quantity: number;
  unitPriceMinor: number;
  amountMinor: number;
  currency: string;
}

export interface OrderSummary {
  totalOrders: number;
  paidOrders: number;
  pendingOrders: number;
  revenueMinorByCurrency: Record<string, number>;
}

export class EmailTakenError extends Error {
  constructor() {
    super("email already registered");
    this.name = "EmailTakenError";
  }
}

export interface Store {
  readonly dialect: "mysql" | "sqlite";
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Throws EmailTakenError when the (lower-cased) email is already registered. */
  createUser(input: NewUser): Promise<User>;
  findUserByEmail(email: string): Promise<User | undefined>;
  findUserById(id: number): Promise<User | undefined>;
  deleteUser(id: number): Promise<boolean>;

  listActiveProducts(page: PageRequest): Promise<Page<Product>>;
  findProduct(id: number): Promise<Product | undefined>;
  findProductByName(name: string): Promise<Product | undefined>;
  createProduct(input: NewProduct): Promise<Product>;

  createOrder(input: NewOrder): Promise<OrderView>;
  findOrder(orderId: number): Promise<OrderView | undefined>;
  findOrderForUser(orderId: number, userId: number): Promise<OrderView | undefined>;
  listOrdersForUser(userId: number, page: PageRequest): Promise<Page<OrderView>>;

  summarizeOrders(): Promise<OrderSummary>;
}
