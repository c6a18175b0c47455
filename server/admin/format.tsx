import type { Child } from "hono/jsx";
import { formatMinor } from "../shared/money.ts";

/** `$49.99`: the currency's own symbol and decimals, kept on one line. */
export function Money(props: { minor: number; currency: string }) {
  return <MoneyText amount={formatMinor(props.minor, props.currency)} currency={props.currency} />;
}

/** An amount written as a decimal ("49.99") as people read it: "$49.99". */
export function formatMoney(amount: string, currency: string): string {
  return new Intl.NumberFormat("en", { style: "currency", currency: currency.toUpperCase() }).format(
    Number(amount),
  );
}

/** The same, kept on one line. */
export function MoneyText(props: { amount: string; currency: string }) {
  return <span class="nowrap">{formatMoney(props.amount, props.currency)}</span>;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** "25 Nov 2026, 21:55" in the shop's time zone; the exact UTC instant shows on hover. */
export function When(props: { date: Date | null; zone: string }) {
  if (!props.date) return <>—</>;
  let formatter = formatters.get(props.zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-GB", {
      timeZone: props.zone,
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
    formatters.set(props.zone, formatter);
  }
  const iso = props.date.toISOString();
  return (
    <time class="nowrap" datetime={iso} title={`${iso} (UTC)`}>
      {formatter.format(props.date)}
    </time>
  );
}

const dayFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  day: "numeric",
  month: "short",
  year: "numeric",
});

/** A calendar date written YYYY-MM-DD as the admin reads dates everywhere: "6 Nov 2026". */
export function formatDay(isoDate: string): string {
  return dayFormat.format(new Date(`${isoDate}T00:00:00Z`));
}

/** A wide table on a narrow screen scrolls inside this box, focusable so the keyboard can scroll it, not the whole page. */
export function ScrollX(props: { label: string; children: Child }) {
  return (
    <section class="scroll-x" aria-label={props.label} tabindex={0}>
      {props.children}
    </section>
  );
}
