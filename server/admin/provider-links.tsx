import { checkoutProvider, type PaymentProvider } from "../payments/provider.ts";

const NAMES: Record<PaymentProvider, string> = { stripe: "Stripe", razorpay: "Razorpay" };

/**
 * A provider's id, linked to where its dashboard shows it: Stripe's sessions, payment intents and refunds,
 * Razorpay's orders, payments and refunds.
 */
export function ProviderLink({ id, testMode }: { id: string | null; testMode: boolean }) {
  if (!id) return <>—</>;
  const href = dashboardUrl(id, testMode);
  return href ? (
    <a class="id" href={href} target="_blank" rel="noopener noreferrer">
      {id}
    </a>
  ) : (
    <span class="id">{id}</span>
  );
}

const STRIPE_PATHS: [RegExp, string][] = [
  [/^cs_/, "checkout/sessions"],
  [/^pi_/, "payments"],
  [/^re_/, "refunds"],
];
const RAZORPAY_PATHS: [RegExp, string][] = [
  [/^order_/, "orders"],
  [/^pay_/, "payments"],
  [/^rfnd_/, "refunds"],
];

function dashboardUrl(id: string, testMode: boolean): string | undefined {
  const stripe = STRIPE_PATHS.find(([prefix]) => prefix.test(id));
  if (stripe)
    return `https://dashboard.stripe.com/${testMode ? "test/" : ""}${stripe[1]}/${encodeURIComponent(id)}`;
  const razorpay = RAZORPAY_PATHS.find(([prefix]) => prefix.test(id));
  if (razorpay) return `https://dashboard.razorpay.com/app/${razorpay[1]}/${encodeURIComponent(id)}`;
  return undefined;
}

/** The provider of the order's checkout, by name; a dash before one was opened. */
export function providerName(checkoutId: string | null): string {
  return checkoutId ? NAMES[checkoutProvider(checkoutId)] : "—";
}
