import { type Context, Hono } from "hono";
import { StockChangeRefused } from "../../db/store.ts";
import type { FieldErrors } from "../shared/errors.ts";
import { AppError } from "../shared/errors.ts";
import { type AdminDeps, type AdminEnv, idOf, PAGE_SIZE, page, pageOf, pastTheEnd } from "./page.tsx";
import { DeleteProduct, ProductForm, ProductList } from "./products-views.tsx";
import { emptyProductForm, newProductStock, parseProductForm, productFormValues } from "./service.ts";

/** `/admin/products`: the catalog, and adding, editing and deleting a product. */
export function productPages(deps: AdminDeps) {
  const { config, store } = deps;
  const pages = new Hono<AdminEnv>({ strict: false });

  pages.get("/products", async (c) => {
    const params = pageOf(c);
    const { rows, count } = await store.listProducts(params);
    const past = pastTheEnd(c, params.page, rows.length, count);
    if (past) return past;
    return page(
      c,
      "Products",
      <ProductList
        products={rows}
        page={params.page}
        count={count}
        pageSize={PAGE_SIZE}
        csrfToken={c.var.admin.csrfToken}
      />,
    );
  });

  const productForm = (
    c: Context<AdminEnv>,
    title: string,
    action: string,
    values = emptyProductForm(config.CURRENCY),
    errors: FieldErrors = {},
    held?: number,
  ) =>
    page(
      c,
      title,
      <ProductForm
        action={action}
        values={values}
        errors={errors}
        held={held}
        csrfToken={c.var.admin.csrfToken}
      />,
      Object.keys(errors).length > 0 ? 400 : 200,
    );

  pages.get("/products/new", (c) => productForm(c, "Add a product", "/admin/products"));

  pages.post("/products", async (c) => {
    const parsed = parseProductForm(await c.req.parseBody());
    if (!parsed.ok) return productForm(c, "Add a product", "/admin/products", parsed.values, parsed.errors);
    const stock = newProductStock(parsed.stockChange);
    if ("error" in stock)
      return productForm(c, "Add a product", "/admin/products", parsed.values, stock.error);
    await store.createProduct({ ...parsed.product, stock: stock.stock });
    deps.catalog.changed();
    return c.redirect("/admin/products?notice=created", 303);
  });

  pages.get("/products/:id/edit", async (c) => {
    const product = await store.findProduct(idOf(c));
    if (!product) throw AppError.notFound("No such product.");
    return productForm(
      c,
      `Edit ${product.name}`,
      `/admin/products/${product.id}`,
      productFormValues(product),
      {},
      product.stockReserved,
    );
  });

  pages.post("/products/:id", async (c) => {
    const id = idOf(c);
    const action = `/admin/products/${id}`;
    const parsed = parseProductForm(await c.req.parseBody());
    if (!parsed.ok) return productForm(c, "Edit product", action, parsed.values, parsed.errors);
    try {
      if (!(await store.updateProduct(id, parsed.product, parsed.stockChange)))
        throw AppError.notFound("No such product.");
    } catch (error) {
      if (!(error instanceof StockChangeRefused)) throw error;
      // Shown again with the stock as it is now, so that saving again is a choice made knowing it.
      const shown = error.current.stock === null ? "" : String(error.current.stock);
      return productForm(
        c,
        "Edit product",
        action,
        { ...parsed.values, stock_shown: shown },
        { [error.field]: [error.message] },
        error.current.stockReserved,
      );
    }
    deps.catalog.changed();
    return c.redirect("/admin/products?notice=saved", 303);
  });

  pages.get("/products/:id/delete", async (c) => {
    const product = await store.findProduct(idOf(c));
    if (!product) throw AppError.notFound("No such product.");
    return page(
      c,
      `Delete ${product.name}?`,
      <DeleteProduct product={product} csrfToken={c.var.admin.csrfToken} />,
    );
  });

  pages.post("/products/:id/delete", async (c) => {
    const outcome = await store.removeProduct(idOf(c));
    deps.catalog.changed();
    if (outcome === "missing") throw AppError.notFound("No such product.");
    return c.redirect(`/admin/products?notice=${outcome}`, 303);
  });

  return pages;
}
