import {
  type CatalogPart,
  type CustomerOrder,
  type OrderedProduct,
  type OrdersPart,
  type OrderView,
  type StockShortage,
  StockShortError,
} from "../../db/store.ts";
import { AppError } from "../shared/errors.ts";

export const MAX_QUANTITY = 100;
export const MAX_LINES = 50;

export interface BasketLine {
  product_id: number;
  quantity: number;
}

/**
 * Every line is priced from the product rows, never from the client, and the whole basket is held against
 * stock in the order's own transaction: a line that does not fit is a 409 naming each short product.
 */
export async function placeOrder(
  store: OrdersPart & CatalogPart,
  user: { id: number; email: string },
  lines: BasketLine[],
  /** The name of a line's field in the request's body, for its errors. */
  fieldOf: (index: number) => string = (index) => `items.${index}.product_id`,
): Promise<OrderView> {
  const found = new Map(
    (await store.findProducts(lines.map((line) => line.product_id))).map((product) => [product.id, product]),
  );
  const products = lines.map((line) => found.get(line.product_id));
  const fields: Record<string, string[]> = {};
  products.forEach((product, index) => {
    if (!product?.active) fields[fieldOf(index)] = ["does not name an available product"];
  });
  if (Object.keys(fields).length > 0) throw AppError.invalid(fields);
  const priced = products as NonNullable<(typeof products)[number]>[];
  const currency = priced[0]?.currency as string;
  priced.forEach((product, index) => {
    if (product.currency !== currency)
      fields[fieldOf(index)] = [
        `is priced in ${product.currency.toUpperCase()}, the basket in ${currency.toUpperCase()}; order them apart`,
      ];
  });
  if (Object.keys(fields).length > 0)
    throw AppError.invalid(fields, "The products of one order must share a currency.");
  try {
    return await store.createOrder(
      {
        userId: user.id,
        currency,
        lines: lines.map((line, index) => ({
          productId: line.product_id,
          quantity: line.quantity,
          unitPriceMinor: priced[index]?.priceMinor as number,
          limitedStock: priced[index]?.stock !== null,
        })),
      },
      { products: priced.map(orderedProduct), customerEmail: user.email },
    );
  } catch (error) {
    throw stockConflict(error, "Not enough stock for this order; nothing was reserved.");
  }
}

function orderedProduct(product: OrderedProduct): OrderedProduct {
  const { id, name, priceMinor, currency, imageHash, imageWidth, imageHeight } = product;
  return { id, name, priceMinor, currency, imageHash, imageWidth, imageHeight };
}

/** A StockShortError as the 409 problem a client shows: each short product and how many are left. */
export function stockConflict(error: unknown, detail: string): unknown {
  if (!(error instanceof StockShortError)) return error;
  return AppError.conflict(`${detail} ${describeShortages(error.shortages)}`, {
    shortages: error.shortages.map((short) => ({
      product_id: short.productId,
      name: short.name,
      left: short.left,
    })),
  });
}

export function describeShortages(shortages: StockShortage[]): string {
  return shortages
    .map((short) => (short.left > 0 ? `${short.name}: only ${short.left} left.` : `${short.name}: sold out.`))
    .join(" ");
}

/** The caller's own order as the API shows it (the lean read); someone else's is a 404, never a 403. */
export async function getCustomerOrder(
  store: OrdersPart,
  orderId: number,
  userId: number,
): Promise<CustomerOrder> {
  const order = await store.findCustomerOrder(orderId, userId);
  if (!order) throw AppError.notFound("No such order.");
  return order;
}

/** The caller's own order with everything the store knows of it, for the payment and cancellation paths. */
export async function getOwnOrder(store: OrdersPart, orderId: number, userId: number): Promise<OrderView> {
  const order = await store.findOrderForUser(orderId, userId);
  if (!order) throw AppError.notFound("No such order.");
  return order;
}
