/** @jsxImportSource preact */
import { useBrowser } from "../browser.ts";
import { payOrder } from "../pages/checkout.ts";
import { useAction } from "../resource.ts";
import { ErrorNote } from "./ui.tsx";

/** Opens a new Checkout for an unpaid order; what went wrong is said beside the button. */
export function PayAgain({ orderId, label = "Pay now" }: { orderId: number; label?: string }) {
  const browser = useBrowser();
  const pay = useAction(() => payOrder(orderId, browser), { busyAfterSuccess: true });
  const busy = pay.busy.value;
  return (
    <>
      <button type="button" onClick={() => pay.run()} disabled={busy} aria-busy={busy}>
        {busy ? "Opening checkout…" : label}
      </button>
      <ErrorNote message={pay.failure.value?.detail ?? null} />
    </>
  );
}
