import { createRoute, z } from "@hono/zod-openapi";
import { apiRouter } from "../http/router.ts";
import { IdParamSchema, jsonResponse, problemResponses } from "../http/schemas.ts";
import { OrderSchema, presentOrder } from "../orders/presenter.ts";
import { cancelOrder } from "./cancellation.ts";
import { handleRazorpayWebhook } from "./razorpay-checkout.ts";
import { confirmPayment, type PaymentDeps, startCheckout } from "./service.ts";
import { handleStripeWebhook } from "./stripe-checkout.ts";

const security = [{ bearerAuth: [] }];

const StripeCheckoutSchema = z
  .object({
    order_id: z.number().int(),
    provider: z.literal("stripe"),
    session_id: z.string(),
    checkout_url: z.string().openapi({ description: "Send the browser here" }),
    expires_at: z.string().openapi({ format: "date-time" }),
    reused: z.boolean().openapi({ description: "true when the order's open session was handed out again" }),
  })
  .openapi("StripeCheckout");

const RazorpayCheckoutSchema = z
  .object({
    order_id: z.number().int(),
    provider: z.literal("razorpay"),
    razorpay_order_id: z.string().openapi({ example: "order_Ez5G3JQ8Zk9bXy" }),
    key_id: z.string().openapi({
      description: "Open Razorpay Checkout with this key id",
      example: "rzp_test_1DP5mmOlF5G5ag",
    }),
    amount: z
      .number()
      .int()
      .openapi({ description: "In minor units (paise for INR), as Razorpay takes it", example: 49900 }),
    currency: z.string().openapi({ example: "INR" }),
    checkout_script: z.string().openapi({
      description: "Load Razorpay Checkout from here",
      example: "https://checkout.razorpay.com/v1/checkout.js",
    }),
    reused: z.boolean().openapi({ description: "true when the order's Razorpay order was handed out again" }),
  })
  .openapi("RazorpayCheckout");

const CheckoutSchema = z
  .discriminatedUnion("provider", [StripeCheckoutSchema, RazorpayCheckoutSchema])
  .openapi("Checkout", { description: "PAYMENT_PROVIDER decides which one the server opens" });

const razorpayId = (prefix: string, example: string) =>
  z
    .string()
    .regex(
      new RegExp(`^${prefix}_[A-Za-z0-9]{1,40}$`),
      `must be a Razorpay id (${prefix}_ followed by letters or digits)`,
    )
    .optional()
    .openapi({ example });

const ConfirmSchema = z
  .object({
    session_id: z
      .string()
      .regex(
        /^cs_[A-Za-z0-9_]{1,252}$/,
        "must be a Checkout Session id (cs_ followed by letters, digits or _)",
      )
      .optional()
      .openapi({ example: "cs_test_123", description: "Stripe: the session the customer came back from" }),
    razorpay_payment_id: razorpayId("pay", "pay_29QQoUBi66xm2f"),
    razorpay_order_id: razorpayId("order", "order_9A33XWu170gUtm"),
    razorpay_signature: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "must be 64 hexadecimal digits")
      .optional()
      .openapi({ description: "Razorpay: what Checkout handed the browser, with the two ids above" }),
  })
  .openapi("ConfirmPayment");

const ConfirmedOrderSchema = OrderSchema.extend({
  payment_status: z.string().openapi({ example: "paid" }),
}).openapi("ConfirmedOrder");

const createPayment = createRoute({
  method: "post",
  path: "/orders/{id}/create-payment",
  operationId: "createPayment",
  tags: ["Payments"],
  summary: "Open (or reuse) the order's checkout: a Stripe Checkout Session or a Razorpay order",
  security,
  request: { params: IdParamSchema },
  responses: {
    201: jsonResponse(CheckoutSchema, "A new checkout"),
    200: jsonResponse(CheckoutSchema, "The order's open checkout, handed out again"),
    ...problemResponses(400, 401, 404, 409, 502, 503),
  },
});

const confirm = createRoute({
  method: "post",
  path: "/orders/{id}/confirm-payment",
  operationId: "confirmPayment",
  tags: ["Payments"],
  summary: "Verify the payment with its provider (Stripe or Razorpay) and mark the order paid",
  security,
  request: {
    params: IdParamSchema,
    body: { required: false, content: { "application/json": { schema: ConfirmSchema } } },
  },
  responses: {
    200: jsonResponse(ConfirmedOrderSchema, "The paid order, with its CRM sync status"),
    ...problemResponses(400, 401, 404, 409, 502, 503),
  },
});

const cancel = createRoute({
  method: "post",
  path: "/orders/{id}/cancel",
  operationId: "cancelOrder",
  tags: ["Orders"],
  summary: "Call off a pending order (its owner or an admin); an open checkout is closed first",
  security,
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(OrderSchema, "The cancelled order (also when it already was)"),
    ...problemResponses(400, 401, 404, 409, 502, 503),
  },
});

const webhook = createRoute({
  method: "post",
  path: "/payments/stripe/webhook",
  operationId: "receiveStripeWebhook",
  // Public: no token needed.
  security: [],
  tags: ["Payments"],
  summary: "Stripe webhook endpoint (Stripe-Signature verified over the raw body)",
  responses: {
    200: jsonResponse(z.object({ received: z.boolean(), type: z.string() }), "Event accepted"),
    ...problemResponses(400, 503),
  },
});

const razorpayWebhook = createRoute({
  method: "post",
  path: "/payments/razorpay/webhook",
  operationId: "receiveRazorpayWebhook",
  // Public: no token needed.
  security: [],
  tags: ["Payments"],
  summary:
    "Razorpay webhook endpoint (X-Razorpay-Signature verified over the raw body; replays skipped by X-Razorpay-Event-Id)",
  responses: {
    200: jsonResponse(
      z.object({ received: z.boolean(), type: z.string(), replay: z.boolean() }),
      "Event accepted (replay: it was applied before)",
    ),
    ...problemResponses(400, 503),
  },
});

const meta = createRoute({
  method: "get",
  path: "/meta",
  operationId: "getMeta",
  // Public: no token needed.
  security: [],
  tags: ["Meta"],
  summary: "What the customer site needs to know about this server",
  // Takes no parameters: one it does not know is a 400 naming it, not silently ignored.
  request: { query: z.object({}).strict() },
  responses: {
    200: jsonResponse(
      z
        .object({
          payment_provider: z.enum(["stripe", "razorpay"]),
          payments_simulated: z.boolean(),
          crm_simulated: z.boolean().openapi({ description: "paid orders go to a local CRM stand-in" }),
          currency: z.string(),
          time_zone: z
            .string()
            .openapi({ description: "the shop's IANA time zone, in which dates are shown" }),
        })
        .openapi("Meta"),
      "Server facts",
    ),
    ...problemResponses(400),
  },
});

export function paymentRoutes(deps: PaymentDeps) {
  return apiRouter()
    .openapi(createPayment, async (c) => {
      const checkout = await startCheckout(deps, c.req.valid("param").id, c.var.user);
      return c.json(checkout, checkout.reused ? 200 : 201);
    })
    .openapi(confirm, async (c) => {
      const order = await confirmPayment(deps, c.req.valid("param").id, c.var.user.id, c.req.valid("json"));
      return c.json({ ...presentOrder(order), payment_status: order.paymentStatus }, 200);
    })
    .openapi(cancel, async (c) => {
      const order = await cancelOrder(deps, c.req.valid("param").id, c.var.user);
      return c.json(presentOrder(order), 200);
    })
    .openapi(webhook, async (c) =>
      c.json(await handleStripeWebhook(deps, await c.req.text(), c.req.header("Stripe-Signature")), 200),
    )
    .openapi(razorpayWebhook, async (c) =>
      c.json(
        await handleRazorpayWebhook(
          deps,
          await c.req.text(),
          c.req.header("X-Razorpay-Signature"),
          c.req.header("X-Razorpay-Event-Id"),
        ),
        200,
      ),
    )
    .openapi(meta, (c) =>
      c.json(
        {
          payment_provider: deps.config.PAYMENT_PROVIDER,
          payments_simulated:
            (deps.config.PAYMENT_PROVIDER === "razorpay"
              ? deps.config.RAZORPAY_API_BASE
              : deps.config.STRIPE_API_BASE) !== undefined,
          crm_simulated: deps.config.CRM_SIMULATED === "true",
          currency: deps.config.CURRENCY,
          time_zone: deps.config.REPORT_TIMEZONE,
        },
        200,
      ),
    );
}
