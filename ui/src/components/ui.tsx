/** @jsxImportSource preact */
import { signal } from "@preact/signals";
import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { useLocation } from "preact-iso";
import { formatMoney, type Order, type Page, session, signInPath } from "../api.ts";

export function Field(props: {
  label: string;
  name: string;
  type?: "text" | "email" | "password";
  value: string;
  onInput: (value: string) => void;
  errors?: string[];
  autoComplete?: string;
  required?: boolean;
  minLength?: number;
  /** Said after the field's problem, such as a way out of it. */
  children?: ComponentChildren;
}) {
  const errorId = `${props.name}-error`;
  const invalid = (props.errors?.length ?? 0) > 0;
  return (
    <div class="field">
      <label for={props.name}>{props.label}</label>
      <input
        id={props.name}
        name={props.name}
        // Preact types each input type as its own variant; the union is valid at run time.
        type={(props.type ?? "text") as "text"}
        value={props.value}
        onInput={(event) => props.onInput((event.target as HTMLInputElement).value)}
        autoComplete={props.autoComplete}
        required={props.required}
        minLength={props.minLength}
        aria-invalid={invalid}
        aria-describedby={invalid ? errorId : undefined}
      />
      {invalid && (
        <p class="field-error" id={errorId}>
          {props.errors?.map((message) => fieldProblem(props.label, message)).join(" ")} {props.children}
        </p>
      )}
    </div>
  );
}

/** The server's "is already registered" under "Email" read as a sentence: "Email is already registered." */
export function fieldProblem(label: string, message: string): string {
  const name = label.replace(/\s*\(.*\)$/, "");
  const text = `${name} ${message}`;
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

export function ErrorNote({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

export function Busy({ label }: { label: string }) {
  return (
    <p class="busy" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

/** Renders its children for a signed-in customer; sends anyone else to sign-in and back here afterwards. */
export function Protected({ children }: { children: ComponentChildren }) {
  const location = useLocation();
  const signedIn = session.value !== null;
  useEffect(() => {
    if (!signedIn) location.route(signInPath(location.url, "protected"), true);
  }, [signedIn, location.url]);
  return signedIn ? children : null;
}

/**
 * The CRM sync's result, as a customer who just paid is told it: in their words, and promising nothing the shop
 * may not do (a sync that used up its retries waits for an admin, who sees it on the dashboard).
 */
export const RECORDING_TEXT: Record<string, string> = {
  pending: "We are still recording your order — nothing for you to do.",
  success: "Your order is recorded.",
  failed: "Recording your order is taking longer than usual — nothing for you to do, our team sees it.",
};

/** The shop's time zone (from /meta), in which every date is shown; UTC until the server says. */
export const shopTimeZone = signal("UTC");

/** A moment as the shop's calendar and clock show it, in a <time> that keeps the exact instant. */
export function When({ at }: { at: string }) {
  return <time dateTime={at}>{formatDateTime(at)}</time>;
}

/** What an order is, for a definition list: its products and its amount. */
export function OrderContents({ order }: { order: Pick<Order, "items" | "currency" | "amount"> }) {
  return (
    <>
      <dt>{order.items.length > 1 ? "Products" : "Product"}</dt>
      <dd>
        <OrderLines order={order} />
      </dd>
      <dt>Amount</dt>
      <dd>{formatMoney(order.amount, order.currency)}</dd>
    </>
  );
}

/** A moment as the shop's calendar and clock show it: "Nov 24, 2026, 10:00 AM". */
export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat("en", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: shopTimeZone.value,
  }).format(new Date(iso));
}

const PAYMENT_STATUS_TEXT: Record<Order["status"], string> = {
  paid: "Paid",
  pending: "Awaiting payment",
  refunded: "Refunded",
  cancelled: "Cancelled",
};

/** The order's payment in the customer's words: a partly refunded order is still paid. */
export function paymentStatusText(
  order: Pick<Order, "status" | "refunded_amount" | "cancellation_reason">,
): string {
  if (order.status === "paid" && Number(order.refunded_amount) > 0) return "Partly refunded";
  if (order.cancellation_reason === "sold_out")
    return "Cancelled: sold out before your payment arrived, refunded";
  return PAYMENT_STATUS_TEXT[order.status];
}

/** The last page of a paginated answer: where a page number past the end is sent. */
export function lastPageOf(data: Page<unknown>): number {
  return Math.max(1, Math.ceil(data.count / data.page_size));
}

/** An order's lines, one per row: "2 × Mug · $25.00". */
export function OrderLines({ order }: { order: Pick<Order, "items" | "currency"> }) {
  return (
    <ul class="lines">
      {order.items.map((item) => (
        <li key={item.product.id}>
          {item.quantity} × {item.product.name}
          {order.items.length > 1 && <span class="muted"> · {formatMoney(item.amount, order.currency)}</span>}
        </li>
      ))}
    </ul>
  );
}
