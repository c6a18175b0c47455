/** @jsxImportSource preact */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { type ApiError, api, type Order } from "../api.ts";
import { useBrowser } from "../browser.ts";
import { PayAgain } from "../components/pay-again.tsx";
import { Busy, ErrorNote, OrderContents, paymentStatusText, RECORDING_TEXT } from "../components/ui.tsx";

const MAX_POLLS = 40;

type State =
  | { kind: "confirming" }
  | { kind: "paid"; order: Order }
  | { kind: "unpaid"; detail: string }
  | { kind: "cancelled" }
  | { kind: "missing" }
  | { kind: "error"; detail: string };

export function PaymentResultPage() {
  const { params } = useRoute();
  const location = useLocation();
  const orderId = Number(params.id);
  const {
    session_id: sessionId,
    razorpay_payment_id,
    razorpay_order_id,
    razorpay_signature,
  } = location.query;
  // Stripe sends the customer back with its session's id; Razorpay Checkout handed the page three fields.
  const razorpay = razorpay_payment_id !== undefined || razorpay_order_id !== undefined;
  const proof = razorpay
    ? { razorpay_payment_id, razorpay_order_id, razorpay_signature }
    : sessionId
      ? { session_id: sessionId }
      : {};
  const state = useSignal<State>({ kind: "confirming" });
  const attempt = useSignal(0);
  const { pollIntervalMs } = useBrowser();

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = (order: Order, polls: number) => {
      if (cancelled) return;
      state.value = { kind: "paid", order };
      if (order.crm_sync_status !== "pending" || polls >= MAX_POLLS) return;
      timer = setTimeout(() => {
        api.order(orderId).then(
          (fresh) => poll(fresh, polls + 1),
          () => poll(order, polls + 1),
        );
      }, pollIntervalMs);
    };
    state.value = { kind: "confirming" };
    api.confirmPayment(orderId, proof).then(
      (order) => poll(order, 0),
      async (failure: ApiError) => {
        if (cancelled) return;
        if (failure.status === 404) {
          state.value = { kind: "missing" };
          return;
        }
        if (failure.status !== 400 && failure.status !== 409) {
          state.value = { kind: "error", detail: failure.detail };
          return;
        }
        // The confirmation was refused (no payment to confirm, or a session that is not this order's): what the
        // customer needs is the order as it is, not the refusal's words.
        const order = await api.order(orderId).catch(() => undefined);
        if (cancelled) return;
        if (!order) state.value = { kind: "error", detail: failure.detail };
        else if (order.status === "paid" || order.status === "refunded") poll(order, 0);
        else if (order.status === "cancelled") state.value = { kind: "cancelled" };
        else state.value = { kind: "unpaid", detail: "We have not received a payment for this order." };
      },
    );
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [orderId, sessionId, razorpay_payment_id, attempt.value, pollIntervalMs]);

  const shown = state.value;
  return (
    <section class="narrow">
      <h1>Payment result</h1>
      {shown.kind === "confirming" && (
        <Busy label={`Confirming your payment with ${razorpay ? "Razorpay" : "Stripe"}…`} />
      )}
      {shown.kind === "paid" && <PaidOrder order={shown.order} />}
      {shown.kind === "unpaid" && (
        <div>
          <p class="warning" role="alert">
            {shown.detail} Your order #{orderId} is not paid yet.
          </p>
          <PayAgain orderId={orderId} />
          <button type="button" class="secondary" onClick={() => attempt.value++}>
            Check again
          </button>
        </div>
      )}
      {shown.kind === "cancelled" && (
        <p class="warning" role="alert">
          Order #{orderId} was cancelled, so it cannot be paid any more. Any payment that reached us for it
          goes back to you by itself.
        </p>
      )}
      {shown.kind === "missing" && (
        <p class="warning" role="alert">
          We could not find order #{orderId} among your orders.
        </p>
      )}
      {shown.kind === "error" && (
        <div>
          <ErrorNote message={shown.detail} />
          <button type="button" onClick={() => attempt.value++}>
            Try again
          </button>
        </div>
      )}
      <p>
        <a href="/orders">See all my orders</a>
      </p>
    </section>
  );
}

function PaidOrder({ order }: { order: Order }) {
  return (
    <div class="success" role="status">
      <p class="big">Payment received — thank you!</p>
      <dl>
        <dt>Order</dt>
        <dd>#{order.id}</dd>
        <OrderContents order={order} />
        <dt>Status</dt>
        <dd data-testid="order-status">{paymentStatusText(order)}</dd>
        <dt>Your order</dt>
        <dd aria-live="polite">
          <span data-testid="recording">{RECORDING_TEXT[order.crm_sync_status]}</span>
        </dd>
      </dl>
    </div>
  );
}

export function PaymentCancelledPage() {
  const { params } = useRoute();
  const orderId = Number(params.id);
  return (
    <section class="narrow">
      <h1>Payment cancelled</h1>
      <p>You cancelled the payment, so nothing was charged. Order #{orderId} is waiting for you.</p>
      <PayAgain orderId={orderId} label="Pay again" />
      <p>
        <a href="/orders">See all my orders</a>
      </p>
    </section>
  );
}
