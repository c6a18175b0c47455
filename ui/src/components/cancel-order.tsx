/** @jsxImportSource preact */
import { useState } from "preact/hooks";
import { type ApiError, api, type Order } from "../api.ts";
import { ErrorNote } from "./ui.tsx";

/** Cancel asks once more before it calls the order off; an open checkout is closed by the server. */
export function CancelOrder({
  orderId,
  onCancelled,
}: {
  orderId: number;
  onCancelled: (order: Order) => void;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function cancel() {
    setBusy(true);
    setError(null);
    try {
      onCancelled(await api.cancelOrder(orderId));
    } catch (failure) {
      setError((failure as ApiError).detail);
      setBusy(false);
      setAsking(false);
    }
  }
  if (!asking) {
    return (
      <>
        <button type="button" class="secondary" onClick={() => setAsking(true)}>
          Cancel
        </button>
        <ErrorNote message={error} />
      </>
    );
  }
  return (
    <fieldset class="confirm">
      <legend class="sr-only">Cancel order #{orderId}?</legend>
      <button type="button" class="danger" onClick={cancel} disabled={busy} aria-busy={busy}>
        {busy ? "Cancelling…" : `Cancel order #${orderId}`}
      </button>
      <button type="button" class="secondary" onClick={() => setAsking(false)} disabled={busy}>
        Keep it
      </button>
    </fieldset>
  );
}
