import type { FormObject, FormValue } from "./form.ts";

export interface CheckoutSession {
  id: string;
  object: "checkout.session";
  amount_subtotal: number;
  amount_total: number;
  cancel_url: string | null;
  client_reference_id: string | null;
  created: number;
  currency: string;
  customer_email: string | null;
  expires_at: number;
  livemode: false;
  metadata: Record<string, string>;
  mode: "payment";
  payment_intent: string | null;
  payment_status: "unpaid" | "paid";
  status: "open" | "complete" | "expired";
  success_url: string;
  url: string | null;
  line_items_summary: { name: string; quantity: number; unit_amount: number }[];
}

export class StripeInputError extends Error {
  constructor(
    message: string,
    readonly param?: string,
    readonly code = "parameter_invalid",
  ) {
    super(message);
  }
}

const MIN_EXPIRY_SECONDS = 30 * 60;
const MAX_EXPIRY_SECONDS = 24 * 3600;

function text(form: FormObject, key: string): string | undefined {
  const value = form[key];
  return typeof value === "string" ? value : undefined;
}

function integer(value: FormValue | undefined, param: string): number {
  if (typeof value !== "string" || !/^\d+$/.test(value)) {
    throw new StripeInputError(`Invalid integer: ${String(value)}`, param, "parameter_invalid_integer");
  }
  return Number(value);
}

/** Validates a create-session request the way Stripe does for the parameters this app sends. */
export function buildSession(
  form: FormObject,
  id: string,
  nowSeconds: number,
  pageBase: string,
): CheckoutSession {
  if (text(form, "mode") !== "payment") throw new StripeInputError("Only mode=payment is simulated.", "mode");
  const successUrl = text(form, "success_url");
  if (!successUrl || !URL.canParse(successUrl))
    throw new StripeInputError("Not a valid URL", "success_url", "url_invalid");
  const cancelUrl = text(form, "cancel_url") ?? null;
  if (cancelUrl !== null && !URL.canParse(cancelUrl))
    throw new StripeInputError("Not a valid URL", "cancel_url", "url_invalid");
  const lineItems = form.line_items;
  if (!Array.isArray(lineItems) || lineItems.length === 0) {
    throw new StripeInputError("line_items is required in payment mode.", "line_items", "parameter_missing");
  }
  let currency: string | undefined;
  const summary = lineItems.map((item, index) => {
    const param = `line_items[${index}]`;
    if (typeof item !== "object" || Array.isArray(item))
      throw new StripeInputError("Invalid line item", param);
    const priceData = item.price_data;
    if (typeof priceData !== "object" || Array.isArray(priceData)) {
      throw new StripeInputError("price_data is required.", `${param}[price_data]`, "parameter_missing");
    }
    const itemCurrency = text(priceData, "currency");
    if (!itemCurrency || !/^[a-z]{3}$/.test(itemCurrency)) {
      throw new StripeInputError("Invalid currency", `${param}[price_data][currency]`);
    }
    if (currency && currency !== itemCurrency)
      throw new StripeInputError("Line items must share one currency.", param);
    currency = itemCurrency;
    const productData = priceData.product_data;
    const name =
      typeof productData === "object" && !Array.isArray(productData) ? text(productData, "name") : undefined;
    if (!name)
      throw new StripeInputError(
        "product_data[name] is required.",
        `${param}[price_data][product_data][name]`,
      );
    const unitAmount = integer(priceData.unit_amount, `${param}[price_data][unit_amount]`);
    const quantity = integer(item.quantity, `${param}[quantity]`);
    if (quantity < 1) throw new StripeInputError("Quantity must be at least 1.", `${param}[quantity]`);
    return { name, quantity, unit_amount: unitAmount };
  });
  const expiresAt =
    form.expires_at === undefined ? nowSeconds + MAX_EXPIRY_SECONDS : integer(form.expires_at, "expires_at");
  if (expiresAt < nowSeconds + MIN_EXPIRY_SECONDS - 60 || expiresAt > nowSeconds + MAX_EXPIRY_SECONDS) {
    throw new StripeInputError(
      "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
      "expires_at",
    );
  }
  const metadata = form.metadata;
  const amount = summary.reduce((total, item) => total + item.unit_amount * item.quantity, 0);
  return {
    id,
    object: "checkout.session",
    amount_subtotal: amount,
    amount_total: amount,
    cancel_url: cancelUrl,
    client_reference_id: text(form, "client_reference_id") ?? null,
    created: nowSeconds,
    currency: currency as string,
    customer_email: text(form, "customer_email") ?? null,
    expires_at: expiresAt,
    livemode: false,
    metadata:
      typeof metadata === "object" && !Array.isArray(metadata) ? (metadata as Record<string, string>) : {},
    mode: "payment",
    payment_intent: null,
    payment_status: "unpaid",
    status: "open",
    success_url: successUrl,
    url: `${pageBase}/checkout/${id}`,
    line_items_summary: summary,
  };
}
