import { and, asc, count, desc, eq, getTableColumns, gt, inArray, isNotNull, lte, sql } from "drizzle-orm";
import {
  type CatalogPart,
  type NewProduct,
  type Page,
  type PageRequest,
  type Product,
  type ProductChanges,
  type ProductRemoval,
  type StockChange,
  StockChangeRefused,
} from "./store.ts";
import { type Db, type DialectAdapter, lazy, StorePart, type Tables } from "./store-part.ts";

/**
 * The products. Every write moves the catalog's change counter in its transaction, which instances poll to drop
 * the pages they keep in memory (server/products/catalog.ts).
 */
export class CatalogStore extends StorePart implements CatalogPart {
  /** Prepared once, at first use (`lazy` in db/store-part.ts). */
  private readonly activeProductsPage;
  private readonly countActiveProducts;
  private readonly countActiveProductsAfter;
  private readonly productById;

  constructor(adapter: DialectAdapter) {
    super(adapter);
    const { products } = this.t;
    // A deferred join: the offset is walked in the (active, id) index alone and only the page's rows are read.
    const pageIds = this.db
      .select({ pageId: products.id })
      .from(products)
      .where(eq(products.active, true))
      .orderBy(asc(products.id))
      .limit(sql.placeholder("limit"))
      .offset(sql.placeholder("offset"))
      .as("page_ids");
    this.activeProductsPage = lazy(() =>
      this.db
        .select(getTableColumns(products))
        .from(products)
        .innerJoin(pageIds, eq(products.id, pageIds.pageId))
        .orderBy(asc(products.id))
        .prepare(),
    );
    this.countActiveProducts = lazy(() =>
      this.db.select({ count: count() }).from(products).where(eq(products.active, true)).prepare(),
    );
    this.countActiveProductsAfter = lazy(() =>
      this.db
        .select({ count: count() })
        .from(products)
        .where(and(eq(products.active, true), gt(products.id, sql.placeholder("afterId"))))
        .prepare(),
    );
    this.productById = lazy(() =>
      this.db
        .select()
        .from(products)
        .where(eq(products.id, sql.placeholder("id")))
        .limit(1)
        .prepare(),
    );
  }

  async listActiveProducts(page: PageRequest): Promise<Page<Product>> {
    const rows = await this.activeProductsPage().execute({ limit: page.limit, offset: page.offset });
    return { rows, count: await this.countActiveProductsAround(page, rows) };
  }

  /**
   * The count walks only what the page's own walk did not: past the first page, the offset already counted the
   * rows before the page, so a deep page reads the index about once. The first page counts everything, as one
   * index-only lookup of `active` is cheaper than the range after its last row. A short page is the last one
   * and needs no count.
   */
  private async countActiveProductsAround(page: PageRequest, rows: Product[]): Promise<number> {
    const isLastPage = rows.length < page.limit && (rows.length > 0 || page.offset === 0);
    if (isLastPage) return page.offset + rows.length;
    const last = rows.at(-1);
    if (!last || page.offset === 0) {
      const [all] = await this.countActiveProducts().execute();
      return Number(all?.count ?? 0);
    }
    const [after] = await this.countActiveProductsAfter().execute({ afterId: last.id });
    return page.offset + rows.length + Number(after?.count ?? 0);
  }

  async catalogVersion(): Promise<number> {
    const { changeCounters } = this.t;
    const [row] = await this.db
      .select({ value: changeCounters.value })
      .from(changeCounters)
      .where(eq(changeCounters.name, "products"));
    return Number(row?.value ?? 0);
  }

  async findProduct(id: number): Promise<Product | undefined> {
    const [row] = await this.productById().execute({ id });
    return row;
  }

  async findProducts(ids: number[]): Promise<Product[]> {
    if (ids.length === 1) return (await this.productById().execute({ id: ids[0] })) as Product[];
    const { products } = this.t;
    return this.db.select().from(products).where(inArray(products.id, ids));
  }

  async isPictureShown(hash: string): Promise<boolean> {
    const { products } = this.t;
    const [row] = await this.db
      .select({ id: products.id })
      .from(products)
      .where(eq(products.imageHash, hash))
      .limit(1);
    return row !== undefined;
  }

  async findProductByName(name: string): Promise<Product | undefined> {
    const { products } = this.t;
    const [row] = await this.db.select().from(products).where(eq(products.name, name)).limit(1);
    return row;
  }

  async createProduct(input: NewProduct): Promise<Product> {
    const { products } = this.t;
    const insertId = await this.adapter.transaction(async (tx) => {
      const { insertId } = this.adapter.readWrite(
        await tx.insert(products).values({ active: true, ...input }),
      );
      await catalogChanged(tx, this.t);
      return insertId;
    });
    return (await this.findProduct(insertId)) as Product;
  }

  async listProducts(page: PageRequest): Promise<Page<Product>> {
    const { products } = this.t;
    const [rows, [total]] = await Promise.all([
      this.db.select().from(products).orderBy(desc(products.id)).limit(page.limit).offset(page.offset),
      this.db.select({ count: count() }).from(products),
    ]);
    return { rows, count: Number(total?.count ?? 0) };
  }

  async updateProduct(
    id: number,
    changes: ProductChanges,
    stock?: StockChange,
  ): Promise<Product | undefined> {
    const { products } = this.t;
    await this.adapter.transaction(async (tx) => {
      const [current] = await this.adapter.forUpdate(
        tx
          .select({ stock: products.stock, stockReserved: products.stockReserved })
          .from(products)
          .where(eq(products.id, id)),
      );
      if (!current) return;
      const stockNow = stock ? changedStock(current, stock) : current.stock;
      await tx
        .update(products)
        .set({
          name: changes.name,
          description: changes.description,
          priceMinor: changes.priceMinor,
          currency: changes.currency,
          active: changes.active,
          stock: stockNow,
          ...(changes.imageHash === undefined
            ? {}
            : {
                imageHash: changes.imageHash,
                imageWidth: changes.imageWidth ?? null,
                imageHeight: changes.imageHeight ?? null,
              }),
        })
        .where(eq(products.id, id));
      await catalogChanged(tx, this.t);
    });
    return this.findProduct(id);
  }

  listLowStockProducts(atMost: number, limit: number): Promise<Product[]> {
    const { products } = this.t;
    const left = sql`${products.stock} - ${products.stockReserved}`;
    return this.db
      .select()
      .from(products)
      .where(and(eq(products.active, true), isNotNull(products.stock), lte(left, atMost)))
      .orderBy(asc(left), asc(products.id))
      .limit(limit);
  }

  removeProduct(id: number): Promise<ProductRemoval> {
    const { orders, orderItems, products } = this.t;
    return this.adapter.transaction(async (tx) => {
      const [referenced] = await tx
        .select({ id: orderItems.orderId })
        .from(orderItems)
        .where(eq(orderItems.productId, id))
        .union(tx.select({ id: orders.id }).from(orders).where(eq(orders.productId, id)))
        .limit(1);
      const deactivate = async () =>
        this.adapter.readWrite(await tx.update(products).set({ active: false }).where(eq(products.id, id)))
          .affectedRows > 0
          ? "deactivated"
          : "missing";
      let removal: ProductRemoval;
      if (referenced) removal = await deactivate();
      else {
        try {
          const { affectedRows } = this.adapter.readWrite(
            await tx.delete(products).where(eq(products.id, id)),
          );
          removal = affectedRows > 0 ? "deleted" : "missing";
        } catch (error) {
          // An order of it was made since the check: it keeps its history.
          if (!this.adapter.isForeignKeyViolation(error)) throw error;
          removal = await deactivate();
        }
      }
      if (removal !== "missing") await catalogChanged(tx, this.t);
      return removal;
    });
  }
}

/**
 * The stock after an admin's change: the posted number when the form changed it (refused when sales changed it
 * since the form was shown), else the stock as it is now; then the adjustment. Never below what unpaid orders
 * hold, never negative.
 */
function changedStock(current: Pick<Product, "stock" | "stockReserved">, change: StockChange): number | null {
  const refuse = (field: "stock" | "stock_adjustment", message: string) => {
    throw new StockChangeRefused(field, message, current);
  };
  let stock = current.stock;
  if (change.stock !== change.shownStock) {
    if (current.stock !== change.shownStock)
      refuse(
        "stock",
        `changed from ${change.shownStock ?? "unlimited"} to ${current.stock ?? "unlimited"} since the form was opened (orders were paid or stock was changed meanwhile); nothing was saved. Check the number and save again, or add received units as an adjustment`,
      );
    stock = change.stock;
  }
  if (change.adjustment !== 0) {
    if (stock === null) refuse("stock_adjustment", "needs a number in stock: unlimited stock is not counted");
    stock = (stock as number) + change.adjustment;
  }
  if (stock !== null && stock < current.stockReserved)
    refuse(
      change.adjustment !== 0 ? "stock_adjustment" : "stock",
      `would leave ${stock} on hand, but unpaid orders hold ${current.stockReserved}; nothing was saved`,
    );
  return stock;
}

/** Moves the catalog's change counter, in the transaction that changed what the catalog shows. */
export async function catalogChanged(tx: Db, { changeCounters }: Tables): Promise<void> {
  await tx
    .update(changeCounters)
    .set({ value: sql`${changeCounters.value} + 1` })
    .where(eq(changeCounters.name, "products"));
}
