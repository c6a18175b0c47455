import { textAsset } from "../../server/http/text-assets.ts";
import { formatMinor } from "../../server/shared/money.ts";
import checkoutCss from "./checkout.css" with { type: "text" };
import type { CheckoutSession } from "./sessions.ts";

export const CHECKOUT_STYLESHEET = textAsset("/static", "checkout.css", checkoutCss);

/** The hosted checkout page a customer is sent to: pay, decline the card, or cancel back to the shop. */
export function CheckoutPage({ session, notice }: { session: CheckoutSession; notice?: string }) {
  const total = `${formatMinor(session.amount_total, session.currency)} ${session.currency.toUpperCase()}`;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Checkout (simulated)</title>
        <link rel="stylesheet" href={CHECKOUT_STYLESHEET.path} />
      </head>
      <body>
        <p class="banner" role="note">
          Stripe simulator: no real card is charged.
        </p>
        <h1>Pay {total}</h1>
        <ul>
          {session.line_items_summary.map((item) => (
            <li>
              {item.quantity} × {item.name}
            </li>
          ))}
        </ul>
        {session.customer_email && <p>Receipt to {session.customer_email}</p>}
        {notice && (
          <p class="notice" role="alert">
            {notice}
          </p>
        )}
        {session.status === "open" ? (
          <div>
            <form method="post" action={`/checkout/${session.id}/pay`} style="display:inline">
              <button class="pay" type="submit">
                Pay {total}
              </button>
            </form>
            <form method="post" action={`/checkout/${session.id}/decline`} style="display:inline">
              <button type="submit">Decline card</button>
            </form>
            <form method="post" action={`/checkout/${session.id}/cancel`} style="display:inline">
              <button type="submit">Cancel</button>
            </form>
          </div>
        ) : (
          <p role="status">This checkout session is {session.status}.</p>
        )}
      </body>
    </html>
  );
}
