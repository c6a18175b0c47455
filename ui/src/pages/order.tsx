/** @jsxImportSource preact */
import { useRoute } from "preact-iso";
import { api, formatMoney, type Order } from "../api.ts";
import { CancelOrder } from "../components/cancel-order.tsx";
import { PayAgain } from "../components/pay-again.tsx";
import { Busy, ErrorNote, OrderContents, paymentStatusText, When } from "../components/ui.tsx";
import { useResource } from "../resource.ts";

const REFUND_STATUS_TEXT: Record<Order["refunds"][number]["status"], string> = {
  pending: "On its way",
  succeeded: "Refunded",
  failed: "Did not go through",
};

/** One of the customer's orders: its lines, when it was made and paid, its payment, and every refund of it. */
export function OrderPage() {
  const { params } = useRoute();
  const orderId = Number(params.id);
  const resource = useResource(() => api.order(orderId), orderId);
  const order = resource.data.value;
  return (
    <section class="narrow">
      <h1>Order #{orderId}</h1>
      {resource.loading.value && <Busy label="Loading the order…" />}
      <ErrorNote message={resource.error.value} />
      {order && (
        <>
          <dl>
            <OrderContents order={order} />
            <dt>Ordered</dt>
            <dd>
              <When at={order.created_at} />
            </dd>
            <dt>Payment</dt>
            <dd data-testid="order-status">{paymentStatusText(order)}</dd>
            {order.paid_at && (
              <>
                <dt>Paid</dt>
                <dd>
                  <When at={order.paid_at} />
                </dd>
              </>
            )}
          </dl>
          {order.status === "pending" && (
            <div class="status-cell">
              <PayAgain orderId={order.id} />
              <CancelOrder orderId={order.id} onCancelled={(changed) => (resource.data.value = changed)} />
            </div>
          )}
          {order.refunds.length > 0 && (
            <>
              <h2>Refunds</h2>
              <table>
                <caption class="sr-only">Refunds of order #{order.id}</caption>
                <thead>
                  <tr>
                    <th scope="col">Date</th>
                    <th scope="col">Amount</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {order.refunds.map((refund) => (
                    <tr key={refund.id}>
                      <td data-label="Date">
                        <When at={refund.created_at} />
                      </td>
                      <td data-label="Amount">{formatMoney(refund.amount, refund.currency)}</td>
                      <td data-label="Status">{REFUND_STATUS_TEXT[refund.status]}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </>
      )}
      <p>
        <a href="/orders">See all my orders</a>
      </p>
    </section>
  );
}
