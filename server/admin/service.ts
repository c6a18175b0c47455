import { z } from "zod";
import { CRM_SYNC_STATUSES, ORDER_STATUSES } from "../../db/enums.ts";
import type { NewProduct, OrderFilter, OrderView, Product, StockChange, Store } from "../../db/store.ts";
import { formatDate, parseDate, startOfLocalDay } from "../reports/calendar.ts";
import { csvLine } from "../shared/csv.ts";
import { AppError, type FieldErrors, zodFieldErrors } from "../shared/errors.ts";
import { formatMinor, isKnownCurrency, minorUnitExponent, parseMinor } from "../shared/money.ts";

export type ProductFormValues = Record<
  "name" | "description" | "price" | "currency" | "active" | "stock" | "stock_shown" | "stock_adjustment",
  string
>;

export const emptyProductForm = (currency: string): ProductFormValues => ({
  name: "",
  description: "",
  price: "",
  currency,
  active: "on",
  stock: "",
  stock_shown: "",
  stock_adjustment: "",
});

/** The form's values for a product as it is stored now. */
export function productFormValues(product: Product): ProductFormValues {
  const stock = product.stock === null ? "" : String(product.stock);
  return {
    name: product.name,
    description: product.description,
    price: formatMinor(product.priceMinor, product.currency),
    currency: product.currency,
    active: product.active ? "on" : "",
    stock,
    stock_shown: stock,
    stock_adjustment: "",
  };
}

const MAX_STOCK = 1_000_000_000;

/** Empty: unlimited; else a whole number of units. */
const stockCount = (message: string) =>
  z
    .string()
    .trim()
    .transform((text, context) => {
      if (text === "") return null;
      const units = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
      if (units <= MAX_STOCK) return units;
      context.addIssue({ code: "custom", message });
      return z.NEVER;
    });

const productForm = z
  .object({
    name: z.string().trim().min(1, "is required").max(200, "must be at most 200 characters"),
    description: z.string().trim().max(5000, "must be at most 5000 characters"),
    currency: z
      .string()
      .trim()
      .toLowerCase()
      .refine(isKnownCurrency, "must be an ISO 4217 code such as usd or eur"),
    active: z.string(),
    stock: stockCount(`must be a whole number of units up to ${MAX_STOCK}, or empty for unlimited`),
    stock_shown: stockCount("is not a number of units: open the form again"),
    stock_adjustment: z
      .string()
      .trim()
      .transform((text, context) => {
        if (text === "") return 0;
        if (/^[+-]?\d{1,10}$/.test(text) && Math.abs(Number(text)) <= MAX_STOCK) return Number(text);
        context.addIssue({ code: "custom", message: "must be units to add or take off, such as +20 or -3" });
        return z.NEVER;
      }),
  })
  .transform((form): { product: Omit<NewProduct, "priceMinor">; stockChange: StockChange } => ({
    product: {
      name: form.name,
      description: form.description,
      currency: form.currency,
      active: form.active === "on",
    },
    stockChange: { shownStock: form.stock_shown, stock: form.stock, adjustment: form.stock_adjustment },
  }));

/** The most a price may be, in minor units (what the database's column and Stripe take). */
const MAX_PRICE_MINOR = 2_000_000_000;

/** The price in minor units, or what is wrong with it; its own check, so its error shows beside the others. */
function priceOf(text: string, currencyText: string): { minor: number } | { error: string } {
  const currency = currencyText.trim().toLowerCase();
  if (text.trim() === "") return { error: "is required" };
  if (!isKnownCurrency(currency)) return { error: "needs a currency chosen below" };
  const minor = parseMinor(text, currency);
  const decimals = minorUnitExponent(currency);
  if (minor === undefined)
    return {
      error:
        decimals === 0
          ? "must be a whole amount such as 1999, with no decimals in this currency"
          : `must be an amount such as 19.${"99".padEnd(decimals, "0")}, with at most ${decimals} decimals`,
    };
  if (minor <= 0) return { error: "must be more than 0" };
  if (minor > MAX_PRICE_MINOR) return { error: `must be at most ${formatMinor(MAX_PRICE_MINOR, currency)}` };
  return { minor };
}

export type ParsedProductForm =
  | { ok: true; values: ProductFormValues; product: NewProduct; stockChange: StockChange }
  | { ok: false; values: ProductFormValues; errors: FieldErrors };

/** Reads a submitted product form: either the product and its stock change, or per-field errors with what was typed kept. */
export function parseProductForm(body: Record<string, unknown>): ParsedProductForm {
  const text = (name: keyof ProductFormValues) => String(body[name] ?? "");
  const values: ProductFormValues = {
    name: text("name"),
    description: text("description"),
    price: text("price"),
    currency: text("currency"),
    active: body.active === "on" ? "on" : "",
    stock: text("stock"),
    stock_shown: text("stock_shown"),
    stock_adjustment: text("stock_adjustment"),
  };
  const result = productForm.safeParse(values);
  const price = priceOf(values.price, values.currency);
  if (result.success && "minor" in price) {
    const { product, stockChange } = result.data;
    return { ok: true, values, product: { ...product, priceMinor: price.minor }, stockChange };
  }
  const errors = result.success ? {} : zodFieldErrors(result.error);
  return { ok: false, values, errors: "error" in price ? { ...errors, price: [price.error] } : errors };
}

/** A new product's stock: the number given, plus any adjustment (which needs a number to add to). */
export function newProductStock(change: StockChange): { stock: number | null } | { error: FieldErrors } {
  if (change.adjustment === 0) return { stock: change.stock };
  if (change.stock === null)
    return { error: { stock_adjustment: ["needs a number in stock: unlimited stock is not counted"] } };
  const stock = change.stock + change.adjustment;
  return stock < 0 ? { error: { stock_adjustment: ["would leave fewer than 0 on hand"] } } : { stock };
}

export interface OrderListQuery {
  status?: string;
  crm?: string;
  from?: string;
  to?: string;
}

/** A local date written YYYY-MM-DD, as its day number; left empty, no date. */
const localDate = z
  .string()
  .optional()
  .transform((text, context) => {
    if (!text) return undefined;
    const day = parseDate(text);
    if (day !== undefined && day >= 1) return day;
    context.addIssue({ code: "custom", message: "must be a date written YYYY-MM-DD" });
    return z.NEVER;
  });

/** The order list's form: an unknown status is no filter (an old link), a date that is not one is refused. */
const OrderFilterQuery = z.object({
  status: z.enum(ORDER_STATUSES).optional().catch(undefined),
  crm: z.enum(CRM_SYNC_STATUSES).optional().catch(undefined),
  from: localDate,
  to: localDate,
});

/**
 * The admin's order filter from its form: payment status, CRM status, and creation dates (local dates in the
 * shop's zone, both included). An unknown status is no filter; a date that is not one is a 400 naming it.
 */
export function orderFilterOf(
  query: OrderListQuery,
  zone: string,
): { filter: OrderFilter; shown: OrderListQuery } {
  const parsed = OrderFilterQuery.safeParse(query);
  if (!parsed.success)
    throw AppError.invalid(zodFieldErrors(parsed.error), "The dates of the filter are not dates.");
  const { status, crm, from, to } = parsed.data;
  const slotTime = (slot: number) => new Date(slot * 900_000);
  return {
    filter: {
      ...(status ? { status } : {}),
      ...(crm ? { crmSyncStatus: crm } : {}),
      ...(from !== undefined ? { createdFrom: slotTime(startOfLocalDay(zone, from)) } : {}),
      ...(to !== undefined ? { createdBefore: slotTime(startOfLocalDay(zone, to + 1)) } : {}),
    },
    shown: {
      status,
      crm,
      from: from === undefined ? undefined : formatDate(from),
      to: to === undefined ? undefined : formatDate(to),
    },
  };
}

const EXPORT_BATCH = 1000;
const EXPORT_COLUMNS = [
  "id",
  "created_at",
  "customer_email",
  "product.id",
  "product.name",
  "quantity",
  "item_count",
  "items",
  "amount",
  "currency",
  "status",
  "refunded_amount",
  "paid_at",
  "payment.session_id",
  "crm_sync_status",
];

const exportRow = (order: OrderView) => [
  order.id,
  order.createdAt.toISOString(),
  order.customerEmail,
  order.product.id,
  order.product.name,
  order.quantity,
  order.items.length,
  order.items
    .map(
      (item) => `${item.quantity} × ${item.product.name} = ${formatMinor(item.amountMinor, order.currency)}`,
    )
    .join("; "),
  formatMinor(order.amountMinor, order.currency),
  order.currency,
  order.status,
  formatMinor(order.refundedMinor, order.currency),
  order.paidAt?.toISOString(),
  order.paymentSessionId,
  order.paidAt ? order.crmSyncStatus : "",
];

/** Every order the filter matches as CSV, newest first, read and sent a batch at a time. */
export function exportOrdersCsv(store: Store, filter: OrderFilter): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let beforeId: number | undefined;
  let started = false;
  return new ReadableStream({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(csvLine(EXPORT_COLUMNS)));
      }
      const batch = await store.listOrdersBefore(filter, beforeId, EXPORT_BATCH);
      if (batch.length > 0)
        controller.enqueue(encoder.encode(batch.map((order) => csvLine(exportRow(order))).join("")));
      if (batch.length < EXPORT_BATCH) controller.close();
      else beforeId = batch.at(-1)?.id;
    },
  });
}
