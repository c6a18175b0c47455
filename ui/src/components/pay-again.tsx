/** @jsxImportSource preact */
import { useState } from "preact/hooks";
import type { ApiError } from "../api.ts";
import { useBrowser } from "../browser.ts";
import { payOrder } from "../pages/checkout.ts";
import { ErrorNote } from "./ui.tsx";

/** Opens a new Checkout for an unpaid order; what went wrong is said beside the button. */
export function PayAgain({ orderId, label = "Pay now" }: { orderId: number; label?: string }) {
  const browser = useBrowser();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function pay() {
    setBusy(true);
    setError(null);
    try {
      await payOrder(orderId, browser.leaveFor);
    } catch (failure) {
      setError((failure as ApiError).detail);
      setBusy(false);
    }
  }
  return (
    <>
      <button type="button" onClick={pay} disabled={busy} aria-busy={busy}>
        {busy ? "Opening checkout…" : label}
      </button>
      <ErrorNote message={error} />
    </>
  );
}
