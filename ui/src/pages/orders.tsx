/** @jsxImportSource preact */
import { useLocation } from "preact-iso";
import { api, formatMoney, type Order } from "../api.ts";
import { CancelOrder } from "../components/cancel-order.tsx";
import { PayAgain } from "../components/pay-again.tsx";
import { Busy, ErrorNote, lastPageOf, OrderLines, paymentStatusText, When } from "../components/ui.tsx";
import { useResource } from "../resource.ts";

export function OrdersPage() {
  const location = useLocation();
  const page = Math.max(1, Number.parseInt(location.query.page ?? "1", 10) || 1);
  const resource = useResource(
    () =>
      api.orders(page).then((answer) => {
        if (answer.results.length === 0 && answer.count > 0 && page > 1) {
          location.route(`/orders?page=${lastPageOf(answer)}`, true);
          return new Promise<never>(() => {});
        }
        return answer;
      }),
    page,
  );
  const data = resource.data.value;
  const error = resource.error.value;
  /** The row says "Cancelled", and the keyboard's focus is on those words, not lost with the button that went. */
  const cancelled = (changed: Order) => {
    replace(changed);
    setTimeout(() => document.getElementById(`order-${changed.id}-status`)?.focus());
  };
  const replace = (changed: Order) => {
    const current = resource.data.value;
    if (current) {
      resource.data.value = {
        ...current,
        results: current.results.map((row) => (row.id === changed.id ? changed : row)),
      };
    }
  };

  return (
    <section>
      <h1>My orders</h1>
      <ErrorNote message={error} />
      {resource.loading.value && <Busy label="Loading your orders…" />}
      {data && data.results.length === 0 && (
        <p>
          No orders yet. <a href="/">Browse the products</a>.
        </p>
      )}
      {data && data.results.length > 0 && (
        <div>
          <table class="orders">
            <caption class="sr-only">Your orders, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Products</th>
                <th scope="col">Amount</th>
                <th scope="col">Payment</th>
                <th scope="col">Ordered</th>
              </tr>
            </thead>
            <tbody>
              {data.results.map((order) => (
                <tr key={order.id} data-order-id={order.id}>
                  <td data-label="Order">
                    <a href={`/orders/${order.id}`}>#{order.id}</a>
                  </td>
                  <td data-label="Products">
                    <OrderLines order={order} />
                  </td>
                  <td data-label="Amount">{formatMoney(order.amount, order.currency)}</td>
                  <td data-label="Payment">
                    <div class="status-cell">
                      <span id={`order-${order.id}-status`} tabIndex={-1}>
                        {paymentStatusText(order)}
                      </span>
                      {order.status === "pending" && <PayAgain orderId={order.id} />}
                      {order.status === "pending" && (
                        <CancelOrder orderId={order.id} onCancelled={cancelled} />
                      )}
                    </div>
                  </td>
                  <td data-label="Ordered">
                    <When at={order.created_at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && (data.next || data.previous) && (
        <nav class="pager" aria-label="Order pages">
          {data.previous ? <a href={`/orders?page=${page - 1}`}>← Newer</a> : <span />}
          {data.next ? <a href={`/orders?page=${page + 1}`}>Older →</a> : <span />}
        </nav>
      )}
    </section>
  );
}
