/** @jsxImportSource preact */
import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, formatMoney, type Product, session, signInPath } from "../api.ts";
import { addToBasket, wholeNumber } from "../basket.ts";
import { useBrowser } from "../browser.ts";
import { Busy, ErrorNote, lastPageOf } from "../components/ui.tsx";
import { useAction, useResource } from "../resource.ts";
import { buyNow } from "./checkout.ts";

export function ProductsPage() {
  const location = useLocation();
  const page = Math.max(1, Number.parseInt(location.query.page ?? "1", 10) || 1);
  const resource = useResource(
    () =>
      api.products(page).then((answer) => {
        // A page past the end (an old link, a shrunken catalog) shows the last page instead.
        if (answer.results.length === 0 && answer.count > 0 && page > 1) {
          location.route(`/?page=${lastPageOf(answer)}`, true);
          return new Promise<never>(() => {});
        }
        return answer;
      }),
    page,
  );
  const data = resource.data.value;
  const error = resource.error.value;

  return (
    <section>
      <h1>Products</h1>
      <ErrorNote message={error} />
      {resource.loading.value && <Busy label="Loading products…" />}
      {data && data.results.length === 0 && <p>No products on this page.</p>}
      {data && (
        <ul class="grid">
          {data.results.map((product, index) => (
            <ProductCard key={product.id} product={product} aboveTheFold={index < 3} />
          ))}
        </ul>
      )}
      {data && (data.next || data.previous) && (
        <nav class="pager" aria-label="Product pages">
          {data.previous ? <a href={`/?page=${page - 1}`}>← Previous</a> : <span />}
          <span>
            Page {data.page} of {lastPageOf(data)}
          </span>
          {data.next ? <a href={`/?page=${page + 1}`}>Next →</a> : <span />}
        </nav>
      )}
    </section>
  );
}

const AVAILABILITY_TEXT = { in_stock: "In stock", sold_out: "Sold out" } as const;

/** "In stock", "Only 3 left" or "Sold out". */
export function availabilityText(product: Pick<Product, "availability" | "left">): string {
  return product.availability === "low"
    ? `Only ${product.left} left`
    : AVAILABILITY_TEXT[product.availability];
}

/** The product's picture at the card's width, its space kept before it loads; a neutral tile without one. */
function ProductPicture({ product, eager }: { product: Product; eager: boolean }) {
  const { image } = product;
  if (!image) return <div class="picture placeholder" aria-hidden="true" />;
  return (
    <img
      class="picture"
      src={image.url}
      srcset={image.srcset}
      sizes="(min-width: 72rem) 22rem, (min-width: 40rem) 45vw, 100vw"
      width={image.width}
      height={image.height}
      alt={product.name}
      loading={eager ? "eager" : "lazy"}
      decoding="async"
    />
  );
}

function ProductCard({ product, aboveTheFold }: { product: Product; aboveTheFold: boolean }) {
  const location = useLocation();
  const browser = useBrowser();
  const [quantityText, setQuantityText] = useState("1");
  const [quantityError, setQuantityError] = useState<string | null>(null);
  const [added, setAdded] = useState<string | null>(null);
  const inputId = `quantity-${product.id}`;
  const soldOut = product.availability === "sold_out";
  const most = Math.min(100, product.left ?? 100);
  const quantity = wholeNumber(quantityText);
  /** The quantity when it is one that can be bought; otherwise says why next to the field and gives none. */
  const checkedQuantity = () => {
    if (quantity !== undefined && quantity >= 1 && quantity <= most) return quantity;
    setQuantityError(
      most === 1 ? "Only 1 can be bought: the quantity must be 1." : `Choose a quantity from 1 to ${most}.`,
    );
    return undefined;
  };

  const toSignIn = () => location.route(signInPath(location.url, "buy"));

  const buy = useAction(
    async () => {
      const wanted = checkedQuantity();
      if (wanted === undefined) return;
      if (!session.value) return toSignIn();
      try {
        await buyNow([{ product_id: product.id, quantity: wanted }], browser);
      } catch (failure) {
        // A rejected token has just signed the customer out: sign in again and come back here.
        if (!session.value) return toSignIn();
        throw failure;
      }
    },
    { busyAfterSuccess: true },
  );
  const busy = buy.busy.value;
  const failure = buy.failure.value;
  const fields = Object.values(failure?.fieldErrors ?? {}).flat();
  const error = failure && (fields.length > 0 ? `${failure.detail} ${fields.join(" ")}` : failure.detail);
  const add = () => {
    const wanted = checkedQuantity();
    if (wanted === undefined) return;
    const refusal = addToBasket(product, wanted);
    setAdded(refusal ?? `Added ${wanted} × ${product.name} to your basket.`);
  };

  return (
    <li class="card">
      <ProductPicture product={product} eager={aboveTheFold} />
      <h2>{product.name}</h2>
      <p class="muted">{product.description}</p>
      <p class="price">{formatMoney(product.price, product.currency)}</p>
      <p class={`stock ${product.availability}`}>{availabilityText(product)}</p>
      {!soldOut && (
        <div class="buy">
          <label for={inputId}>Quantity</label>
          <input
            id={inputId}
            type="number"
            min={1}
            max={most}
            value={quantityText}
            aria-invalid={quantityError ? true : undefined}
            aria-describedby={quantityError ? `${inputId}-error` : undefined}
            onInput={(event) => {
              setQuantityText((event.target as HTMLInputElement).value);
              setQuantityError(null);
            }}
          />
          <button type="button" class="secondary" onClick={add}>
            Add to basket
          </button>
          <button type="button" onClick={() => buy.run()} disabled={busy} aria-busy={busy}>
            {busy ? "Opening checkout…" : "Buy now"}
          </button>
        </div>
      )}
      {quantityError && (
        <p class="field-error" id={`${inputId}-error`} role="alert">
          {quantityError}
        </p>
      )}
      {added && (
        <p class="added" role="status">
          {added} {!added.startsWith("Added") ? "" : <a href="/basket">See the basket</a>}
        </p>
      )}
      <ErrorNote message={error} />
    </li>
  );
}
