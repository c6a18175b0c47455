/** @jsxImportSource preact */
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

  const pay = useAction(
    async () => {
      if (!session.value) return location.route(signInPath(location.url, "buy"));
      const items = basketLines.value.map((line) => ({
        product_id: line.productId,
        quantity: line.quantity,
      }));
      try {
        await buyNow(items, browser.leaveFor, emptyBasket);
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
                    onChange={(event) =>
                      setQuantity(line.productId, Number((event.target as HTMLInputElement).value) || 1)
                    }
                  />
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
      <p>
        <button type="button" onClick={() => pay.run()} disabled={busy} aria-busy={busy}>
          {busy ? "Opening checkout…" : "Pay"}
        </button>{" "}
        <a href="/">Keep shopping</a>
      </p>
    </section>
  );
}
