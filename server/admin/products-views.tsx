import { availabilityOf } from "../../db/stock.ts";
import type { Product } from "../../db/store.ts";
import type { presentPicture } from "../products/pictures.ts";
import type { FieldErrors } from "../shared/errors.ts";
import { Money, ScrollX } from "./format.tsx";
import type { ProductFormValues } from "./service.ts";
import { FieldError, invalidField, Pager } from "./views.tsx";

export function ProductList(props: {
  products: Product[];
  page: number;
  count: number;
  pageSize: number;
  csrfToken: string;
}) {
  return (
    <>
      <p>
        <a href="/admin/new-product">Add a product</a>
      </p>
      {props.products.length === 0 ? (
        <p role="status">No products yet: add the first one above.</p>
      ) : (
        <ScrollX label="Products">
          <table class="cards">
            <thead>
              <tr>
                <th>ID</th>
                <th>Name</th>
                <th>Price</th>
                <th>Stock</th>
                <th>Active</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {props.products.map((product) => (
                <tr>
                  <td data-label="ID">{product.id}</td>
                  <td data-label="Name">{product.name}</td>
                  <td data-label="Price">
                    <Money minor={product.priceMinor} currency={product.currency} />
                  </td>
                  <td data-label="Stock">
                    <StockLevel product={product} />
                  </td>
                  <td data-label="Active">{product.active ? "yes" : "no"}</td>
                  <td data-label="Actions">
                    <span class="actions">
                      <a href={`/admin/products/${product.id}/edit`}>Edit</a>
                      <a href={`/admin/products/${product.id}/delete`} class="danger">
                        Delete…
                      </a>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollX>
      )}
      <Pager
        page={props.page}
        count={props.count}
        pageSize={props.pageSize}
        href={(page) => `/admin/products?page=${page}`}
      />
    </>
  );
}

/** On hand, and what unpaid orders hold of it. */
function StockLevel(props: { product: Product }) {
  const { stock, stockReserved } = props.product;
  if (stock === null) return <>unlimited</>;
  return (
    <>
      {stock} on hand{stockReserved > 0 ? `, ${stockReserved} held` : ""}
      {availabilityOf(props.product).availability === "sold_out" ? " (sold out)" : ""}
    </>
  );
}

const currencyNames = new Intl.DisplayNames("en", { type: "currency" });
/** Every currency the runtime knows, as the product form's choices. */
const CURRENCIES = Intl.supportedValuesOf("currency").map((code) => ({
  code: code.toLowerCase(),
  name: currencyNames.of(code) ?? code,
}));

export function ProductForm(props: {
  action: string;
  values: ProductFormValues;
  errors: FieldErrors;
  /** Units unpaid orders hold (an existing product). */
  held?: number;
  /** The product's picture now (an existing product that has one). */
  picture?: ReturnType<typeof presentPicture>;
  csrfToken: string;
}) {
  const { values, errors } = props;
  const invalid = (field: string) => invalidField(errors, field);
  return (
    <form method="post" action={props.action} enctype="multipart/form-data">
      <input type="hidden" name="_csrf" value={props.csrfToken} />
      <label for="name">Name</label>
      <input id="name" name="name" type="text" value={values.name} required {...invalid("name")} />
      <FieldError errors={errors.name} id="name" />
      <label for="description">Description</label>
      <textarea id="description" name="description" rows={3} {...invalid("description")}>
        {values.description}
      </textarea>
      <FieldError errors={errors.description} id="description" />
      <label for="price">Price (e.g. 19.99)</label>
      <input
        id="price"
        name="price"
        type="text"
        inputmode="decimal"
        value={values.price}
        required
        {...invalid("price")}
      />
      <FieldError errors={errors.price} id="price" />
      <label for="currency">Currency</label>
      <select id="currency" name="currency" required {...invalid("currency")}>
        {CURRENCIES.map(({ code, name }) => (
          <option value={code} selected={code === values.currency.trim().toLowerCase()}>
            {code.toUpperCase()} — {name}
          </option>
        ))}
      </select>
      <FieldError errors={errors.currency} id="currency" />
      <input type="hidden" name="stock_shown" value={values.stock_shown} />
      <label for="stock">Units on hand (empty for unlimited)</label>
      <input
        id="stock"
        name="stock"
        type="text"
        inputmode="numeric"
        value={values.stock}
        aria-describedby={errors.stock ? "stock-error stock-held" : "stock-held"}
        aria-invalid={errors.stock ? "true" : undefined}
      />
      <p id="stock-held" class="hint">
        {props.held === undefined
          ? "Orders hold units until they are paid; paid units are taken off."
          : `${props.held} of them held by unpaid orders. Paid units are taken off as orders are paid.`}
      </p>
      <FieldError errors={errors.stock} id="stock" />
      <label for="stock_adjustment">Add or take off units (e.g. +20 received, -3 damaged)</label>
      <input
        id="stock_adjustment"
        name="stock_adjustment"
        type="text"
        value={values.stock_adjustment}
        {...invalid("stock_adjustment")}
      />
      <FieldError errors={errors.stock_adjustment} id="stock_adjustment" />
      <label for="image">Picture (JPEG, PNG or WebP, up to 5 MB)</label>
      {props.picture && (
        <p>
          <img
            src={props.picture.url}
            srcset={props.picture.srcset}
            sizes="10rem"
            width={props.picture.width}
            height={props.picture.height}
            alt={values.name}
            class="thumbnail"
          />
        </p>
      )}
      <input
        id="image"
        name="image"
        type="file"
        accept="image/jpeg,image/png,image/webp"
        {...invalid("image")}
      />
      <FieldError errors={errors.image} id="image" />
      {props.picture && (
        <label>
          <input type="checkbox" name="remove_image" /> Remove the picture
        </label>
      )}
      <label>
        <input type="checkbox" name="active" checked={values.active === "on"} /> Active (shown to customers)
      </label>
      <p>
        <button type="submit">Save</button> <a href="/admin/products">Cancel</a>
      </p>
    </form>
  );
}

export function DeleteProduct(props: { product: Product; csrfToken: string }) {
  const { product } = props;
  return (
    <>
      <p>
        Delete <strong>{product.name}</strong> (
        <Money minor={product.priceMinor} currency={product.currency} />
        )? Customers will no longer see it. If orders refer to it, it is deactivated instead, so those orders
        keep their history.
      </p>
      <form method="post" action={`/admin/products/${product.id}/delete`} class="confirm">
        <input type="hidden" name="_csrf" value={props.csrfToken} />
        <button type="submit" class="danger">
          Delete {product.name}
        </button>
        <a href="/admin/products">Keep it</a>
      </form>
    </>
  );
}
