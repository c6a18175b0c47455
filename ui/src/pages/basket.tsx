/** @jsxImportSource preact */
import { useSignal } from "@preact/signals";
import { useLocation } from "preact-iso";
import { formatMoney, session, signInPath } from "../api.ts";
import {
  amountOf,
  basketCount,
  basketCurrency,
  basketLines,
  basketTotal,
  emptyBasket,
  MAX_QUANTITY,
  noteShortages,
  removeFromBasket,
  setQuantity,
  wholeNumber,
} from "../basket.ts";
import { useBrowser } from "../browser.ts";
import { ErrorNote } from "../components/ui.tsx";
import { useAction } from "../resource.ts";
import { buyNow } from "./checkout.ts";

export function BasketPage() {
  const location = useLocation();
  const browser = useBrowser();
  const lines = basketLines.value;
  const currency = basketCurrency.value;
  /** A line whose quantity field holds something that cannot be bought: what is wrong, beside the field. */
  const quantityErrors = useSignal<Record<number, string>>({});
  const changeQuantity = (productId: number, most: number, text: string) => {
    const { [productId]: _, ...others } = quantityErrors.value;
    const quantity = wholeNumber(text);
    if (quantity !== undefined && quantity >= 1 && quantity <= most) {
      setQuantity(productId, quantity);
      quantityErrors.value = others;
    } else quantityErrors.value = { ...others, [productId]: `Choose a quantity from 1 to ${most}.` };
  };
  const hasQuantityErrors = Object.keys(quantityErrors.value).length > 0;

  const pay = useAction(
    async () => {
      if (!session.value) return location.route(signInPath(location.url, "buy"));
      const items = basketLines.value.map((line) => ({
        product_id: line.productId,
        quantity: line.quantity,
      }));
      try {
        await buyNow(items, browser, emptyBasket);
      } catch (failure) {
        if (!session.value) return location.route(signInPath(location.url, "buy"));
        const shortages = (failure as { extra?: { shortages?: { product_id: number; left: number }[] } })
          .extra?.shortages;
        if (shortages) noteShortages(shortages);
        throw failure;
      }
    },
    { busyAfterSuccess: true },
  );
  const busy = pay.busy.value;
  const failure = pay.failure.value;

  if (lines.length === 0)
    return (
      <section>
        <h1>Basket</h1>
        <p>
          Your basket is empty. <a href="/">Browse the products</a>.
        </p>
      </section>
    );

  return (
    <section>
      <h1>Basket</h1>
      <table class="basket">
        <caption class="sr-only">The products in your basket</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Price</th>
            <th scope="col">Quantity</th>
            <th scope="col">Amount</th>
            <th scope="col">
              <span class="sr-only">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => {
            const inputId = `basket-quantity-${line.productId}`;
            const most = Math.min(MAX_QUANTITY, line.left ?? MAX_QUANTITY);
            return (
              <tr key={line.productId}>
                <td data-label="Product">
                  {line.name}
                  {line.left !== null && (
                    <span class="stock low"> {line.left === 0 ? "Sold out" : `Only ${line.left} left`}</span>
                  )}
                </td>
                <td data-label="Price">{formatMoney(line.price, line.currency)}</td>
                <td data-label="Quantity">
                  <label for={inputId} class="sr-only">
                    Quantity of {line.name}
                  </label>
                  <input
                    id={inputId}
                    type="number"
                    min={1}
                    max={most}
                    value={line.quantity}
                    aria-invalid={quantityErrors.value[line.productId] ? true : undefined}
                    aria-describedby={quantityErrors.value[line.productId] ? `${inputId}-error` : undefined}
                    onChange={(event) =>
                      changeQuantity(line.productId, most, (event.target as HTMLInputElement).value)
                    }
                  />
                  {quantityErrors.value[line.productId] && (
                    <span class="field-error" id={`${inputId}-error`} role="alert">
                      {quantityErrors.value[line.productId]}
                    </span>
                  )}
                </td>
                <td data-label="Amount">{formatMoney(amountOf([line], line.currency), line.currency)}</td>
                <td>
                  <button type="button" class="link" onClick={() => removeFromBasket(line.productId)}>
                    Remove<span class="sr-only"> {line.name}</span>
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p class="total">
        {basketCount.value} {basketCount.value === 1 ? "item" : "items"}, total{" "}
        <strong>{formatMoney(basketTotal.value, currency ?? "usd")}</strong>
      </p>
      <ErrorNote message={failure?.detail ?? null} />
      <p class="buy">
        <button type="button" onClick={() => pay.run()} disabled={busy || hasQuantityErrors} aria-busy={busy}>
          {busy ? "Opening checkout…" : "Pay"}
        </button>
        <a href="/">Keep shopping</a>
      </p>
    </section>
  );
}
