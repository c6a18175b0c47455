/** @jsxImportSource preact */
import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { api, type Order } from "../api.ts";
import { useAction } from "../resource.ts";
import { ErrorNote } from "./ui.tsx";

/** Cancel asks once more before it calls the order off; an open checkout is closed by the server. */
export function CancelOrder({
  orderId,
  onCancelled,
}: {
  orderId: number;
  onCancelled: (order: Order) => void;
}) {
  const asking = useSignal(false);
  // The keyboard's focus follows the question: to "Keep it" (the harmless answer) when it opens, back to "Cancel"
  // when it is kept, instead of dropping to the page's body with the button that had it.
  const keepButton = useRef<HTMLButtonElement>(null);
  const cancelButton = useRef<HTMLButtonElement>(null);
  const answered = useRef(false);
  useEffect(() => {
    if (asking.value) keepButton.current?.focus();
    else if (answered.current) cancelButton.current?.focus();
  }, [asking.value]);
  const cancel = useAction(
    async () => {
      try {
        onCancelled(await api.cancelOrder(orderId));
      } catch (failure) {
        answered.current = true;
        asking.value = false;
        throw failure;
      }
    },
    { busyAfterSuccess: true },
  );
  const busy = cancel.busy.value;
  if (!asking.value) {
    return (
      <>
        <button type="button" class="secondary" ref={cancelButton} onClick={() => (asking.value = true)}>
          Cancel
        </button>
        <ErrorNote message={cancel.failure.value?.detail ?? null} />
      </>
    );
  }
  return (
    <fieldset class="confirm">
      <legend class="sr-only">Cancel order #{orderId}?</legend>
      <button type="button" class="danger" onClick={() => cancel.run()} disabled={busy} aria-busy={busy}>
        {busy ? "Cancelling…" : `Cancel order #${orderId}`}
      </button>
      <button
        type="button"
        class="secondary"
        ref={keepButton}
        onClick={() => {
          answered.current = true;
          asking.value = false;
        }}
        disabled={busy}
      >
        Keep it
      </button>
    </fieldset>
  );
}
