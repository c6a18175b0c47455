import { and, asc, eq, inArray, isNotNull, or } from "drizzle-orm";
import { catalogChanged } from "./catalog-store.ts";
import { type Availability, type Product, type StockShortage, StockShortError } from "./entities.ts";
import type { Db, DialectAdapter, Tables } from "./store-part.ts";

/** At or below this many units left, a product shows "Only N left" and the dashboard lists it. */
export const LOW_STOCK_LEFT = 5;

/** How a product's stock looks to a customer. */
export function availabilityOf(product: Pick<Product, "stock" | "stockReserved">): Availability {
  if (product.stock === null) return { availability: "in_stock", left: null };
  const left = Math.max(0, product.stock - product.stockReserved);
  if (left === 0) return { availability: "sold_out", left: 0 };
  if (left <= LOW_STOCK_LEFT) return { availability: "low", left };
  return { availability: "in_stock", left: null };
}

/**
 * A line as the stock sees it: `reserved` when its units are counted in the product's stock_reserved;
 * `limitedStock` when its product's stock was limited as last read (only those, and reserved ones, are locked).
 */
export interface StockLine {
  productId: number;
  quantity: number;
  reserved: boolean;
  limitedStock: boolean;
}

type LockedProduct = Pick<Product, "id" | "name" | "stock" | "stockReserved">;

/**
 * The stock rules, each a step inside the caller's transaction on the products' locked rows. A product's
 * `stock_reserved` is always the sum of the reserved lines of the orders that hold their units (stock_state
 * 'held'), whether its stock is limited now or not; so 0 <= stock_reserved <= stock, and nothing goes negative.
 * Products with unlimited stock are neither locked nor written, so a purchase of them writes no shared row.
 */
export class Stock {
  constructor(
    private readonly adapter: DialectAdapter,
    private readonly t: Tables,
  ) {}

  /**
   * Holds the units of every line whose product has limited stock; throws StockShortError naming every line
   * that does not fit, having held nothing. Answers the products whose units it held.
   */
  async reserve(
    tx: Db,
    lines: (Omit<StockLine, "reserved" | "limitedStock"> & { limitedStock?: boolean })[],
  ): Promise<Set<number>> {
    const locked = await this.lock(
      tx,
      lines.filter((line) => line.limitedStock !== false).map((line) => line.productId),
      [],
    );
    const shortages: StockShortage[] = [];
    const changed = new Map<number, LockedProduct>();
    for (const line of lines) {
      const product = locked.get(line.productId);
      if (!product || product.stock === null) continue;
      const left = product.stock - product.stockReserved;
      if (left < line.quantity)
        shortages.push({ productId: product.id, name: product.name, left: Math.max(0, left) });
      else changed.set(product.id, { ...product, stockReserved: product.stockReserved + line.quantity });
    }
    if (shortages.length > 0) throw new StockShortError(shortages);
    await this.write(tx, locked, changed);
    return new Set(changed.keys());
  }

  /** Gives back the units the reserved lines hold. */
  async release(tx: Db, lines: StockLine[]): Promise<void> {
    const held = lines.filter((line) => line.reserved);
    if (held.length === 0) return;
    const locked = await this.lock(
      tx,
      [],
      held.map((line) => line.productId),
    );
    const changed = new Map<number, LockedProduct>();
    for (const line of held) {
      const product = locked.get(line.productId);
      if (product)
        changed.set(product.id, {
          ...product,
          stockReserved: Math.max(0, product.stockReserved - line.quantity),
        });
    }
    await this.write(tx, locked, changed);
  }

  /**
   * Takes the lines' units off the shelf at payment: a line that holds its units (`holding`) takes them from what
   * it holds; any other line of a product with limited stock (the hold was released, or the stock set since)
   * takes them from what is left, and when that is too little, StockShortError names it and nothing is taken.
   */
  async sell(tx: Db, lines: StockLine[], holding: boolean): Promise<void> {
    const counted = (line: StockLine) => holding && line.reserved;
    const locked = await this.lock(
      tx,
      lines.filter((line) => line.limitedStock).map((line) => line.productId),
      lines.filter(counted).map((line) => line.productId),
    );
    const shortages: StockShortage[] = [];
    const changed = new Map<number, LockedProduct>();
    for (const line of lines) {
      const product = locked.get(line.productId);
      if (!product) continue;
      const stockReserved = counted(line)
        ? Math.max(0, product.stockReserved - line.quantity)
        : product.stockReserved;
      if (product.stock === null) {
        if (counted(line)) changed.set(product.id, { ...product, stockReserved });
        continue;
      }
      const left = product.stock - product.stockReserved;
      if (!counted(line) && left < line.quantity) {
        shortages.push({ productId: product.id, name: product.name, left: Math.max(0, left) });
        continue;
      }
      changed.set(product.id, { ...product, stock: product.stock - line.quantity, stockReserved });
    }
    if (shortages.length > 0) throw new StockShortError(shortages);
    await this.write(tx, locked, changed);
  }

  /**
   * Locks, in id order (so two baskets never wait on each other in a circle), the products among `ids` whose stock
   * is (still) limited and those of `reservedIds` whatever their stock; no statement when there are none.
   */
  private async lock(tx: Db, ids: number[], reservedIds: number[]): Promise<Map<number, LockedProduct>> {
    const { products } = this.t;
    const limited = ids.length > 0 ? and(inArray(products.id, ids), isNotNull(products.stock)) : undefined;
    const reserved = reservedIds.length > 0 ? inArray(products.id, reservedIds) : undefined;
    if (!limited && !reserved) return new Map();
    const rows = await this.adapter.forUpdate(
      tx
        .select({
          id: products.id,
          name: products.name,
          stock: products.stock,
          stockReserved: products.stockReserved,
        })
        .from(products)
        .where(or(limited, reserved))
        .orderBy(asc(products.id)),
    );
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Writes the changed products; a change a customer can see moves the catalog's counter (instances drop their copy). */
  private async write(
    tx: Db,
    before: Map<number, LockedProduct>,
    after: Map<number, LockedProduct>,
  ): Promise<void> {
    const { products } = this.t;
    let seen = false;
    for (const product of after.values()) {
      await tx
        .update(products)
        .set({ stock: product.stock, stockReserved: product.stockReserved })
        .where(eq(products.id, product.id));
      const was = before.get(product.id);
      if (was && JSON.stringify(availabilityOf(was)) !== JSON.stringify(availabilityOf(product))) seen = true;
    }
    if (seen) await catalogChanged(tx, this.t);
  }
}
