import { type Context, Hono } from "hono";
import { type Product, StockChangeRefused } from "../../db/store.ts";
import {
  type Picture,
  PictureRefused,
  presentPicture,
  removePicture,
  savePicture,
} from "../products/pictures.ts";
import type { FieldErrors } from "../shared/errors.ts";
import { AppError } from "../shared/errors.ts";
import {
  type AdminDeps,
  type AdminEnv,
  idOf,
  PAGE_SIZE,
  page,
  pageOf,
  pastTheEnd,
  redirectWithNotice,
} from "./page.tsx";
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
    current?: Product,
  ) =>
    page(
      c,
      title,
      <ProductForm
        action={action}
        values={values}
        errors={errors}
        held={current?.stockReserved}
        picture={current ? presentPicture(current) : null}
        csrfToken={c.var.admin.csrfToken}
      />,
      Object.keys(errors).length > 0 ? 400 : 200,
    );

  /**
   * The form's picture: a new one (checked and written), none (removed), or unchanged (undefined); a refused
   * upload as the field's error. A file chosen on a form that is refused for other fields is not kept.
   */
  const pictureOf = async (
    body: Record<string, unknown>,
  ): Promise<{ picture?: Picture | null; error?: string }> => {
    const file = body.image;
    if (file instanceof File && file.size > 0) {
      try {
        return { picture: await savePicture(new Uint8Array(await file.arrayBuffer()), config.MEDIA_DIR) };
      } catch (error) {
        if (error instanceof PictureRefused) return { error: error.message };
        throw error;
      }
    }
    return body.remove_image === "on" ? { picture: null } : {};
  };
  const chosenAgain = (body: Record<string, unknown>, errors: FieldErrors): FieldErrors =>
    body.image instanceof File && body.image.size > 0
      ? { ...errors, image: ["was not kept: choose it again once the other fields are right"] }
      : errors;
  const pictureColumns = (picture: Picture | null | undefined) =>
    picture === undefined
      ? {}
      : {
          imageHash: picture?.hash ?? null,
          imageWidth: picture?.width ?? null,
          imageHeight: picture?.height ?? null,
        };
  /** Deletes a picture's files once no product shows it (replaced, removed, or never saved). */
  const forgetUnshown = async (picture: Picture | null | undefined) => {
    if (picture && !(await store.isPictureShown(picture.hash)))
      await removePicture(picture, config.MEDIA_DIR);
  };

  pages.get("/new-product", (c) => productForm(c, "Add a product", "/admin/products"));

  pages.post("/products", async (c) => {
    const body = await c.req.parseBody();
    const parsed = parseProductForm(body);
    const title = "Add a product";
    if (!parsed.ok)
      return productForm(c, title, "/admin/products", parsed.values, chosenAgain(body, parsed.errors));
    const stock = newProductStock(parsed.stockChange);
    if ("error" in stock)
      return productForm(c, title, "/admin/products", parsed.values, chosenAgain(body, stock.error));
    const { picture, error } = await pictureOf(body);
    if (error) return productForm(c, title, "/admin/products", parsed.values, { image: [error] });
    await store.createProduct({ ...parsed.product, stock: stock.stock, ...pictureColumns(picture) });
    deps.catalog.changed();
    return redirectWithNotice(c, config, "/admin/products", "created");
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
      product,
    );
  });

  pages.post("/products/:id", async (c) => {
    const id = idOf(c);
    const action = `/admin/products/${id}`;
    const before = await store.findProduct(id);
    if (!before) throw AppError.notFound("No such product.");
    const body = await c.req.parseBody();
    const parsed = parseProductForm(body);
    if (!parsed.ok)
      return productForm(c, "Edit product", action, parsed.values, chosenAgain(body, parsed.errors), before);
    const { picture, error } = await pictureOf(body);
    if (error) return productForm(c, "Edit product", action, parsed.values, { image: [error] }, before);
    try {
      await store.updateProduct(id, { ...parsed.product, ...pictureColumns(picture) }, parsed.stockChange);
    } catch (refusal) {
      if (!(refusal instanceof StockChangeRefused)) throw refusal;
      await forgetUnshown(picture);
      // Shown again with the stock as it is now, so that saving again is a choice made knowing it.
      const shown = refusal.current.stock === null ? "" : String(refusal.current.stock);
      return productForm(
        c,
        "Edit product",
        action,
        { ...parsed.values, stock_shown: shown },
        chosenAgain(body, { [refusal.field]: [refusal.message] }),
        { ...before, ...refusal.current },
      );
    }
    if (picture !== undefined && before.imageHash && before.imageHash !== picture?.hash)
      await forgetUnshown({
        hash: before.imageHash,
        width: before.imageWidth ?? 0,
        height: before.imageHeight ?? 0,
      });
    deps.catalog.changed();
    return redirectWithNotice(c, config, "/admin/products", "saved");
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
    const product = await store.findProduct(idOf(c));
    const outcome = await store.removeProduct(idOf(c));
    if (outcome === "deleted" && product?.imageHash)
      await forgetUnshown({
        hash: product.imageHash,
        width: product.imageWidth ?? 0,
        height: product.imageHeight ?? 0,
      });
    deps.catalog.changed();
    if (outcome === "missing") throw AppError.notFound("No such product.");
    return redirectWithNotice(c, config, "/admin/products", outcome);
  });

  return pages;
}
