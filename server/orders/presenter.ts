import { z } from "@hono/zod-openapi";
import {
  CANCEL_REASONS,
  CRM_SYNC_STATUSES,
  ORDER_STATUSES,
  REFUND_REASONS,
  REFUND_STATUSES,
} from "../../db/enums.ts";
import type { CustomerOrder, RefundWithCrm } from "../../db/store.ts";
import { checkoutProvider } from "../payments/provider.ts";
import { presentPicture } from "../products/pictures.ts";
import { PictureSchema } from "../products/presenter.ts";
import { formatMinor } from "../shared/money.ts";

export const RefundSchema = z
  .object({
    id: z.string().openapi({
      example: "re_3Q1x2y",
      description: "the payment provider's refund id (Stripe re_..., Razorpay rfnd_...)",
    }),
    amount: z.string().openapi({ example: "12.50" }),
    currency: z.string().openapi({ example: "usd" }),
    status: z.enum(REFUND_STATUSES),
    reason: z.enum(REFUND_REASONS).nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
    crm_sync_status: z
      .enum(CRM_SYNC_STATUSES)
      .nullable()
      .openapi({ description: "null until the refund has succeeded" }),
    of_order_payment: z.boolean().openapi({
      description: "false for the refund of a second payment the order could not take",
    }),
  })
  .openapi("Refund");

export type RefundJson = z.infer<typeof RefundSchema>;

/** Only refunds the provider knows: an attempt without its id is still in flight, or never reached the provider. */
export function presentRefunds(refunds: RefundWithCrm[]): RefundJson[] {
  return refunds.flatMap((refund) =>
    refund.stripeRefundId ? [presentRefund(refund, refund.stripeRefundId)] : [],
  );
}

function presentRefund(refund: RefundWithCrm, id: string): RefundJson {
  return {
    id,
    amount: formatMinor(refund.amountMinor, refund.currency),
    currency: refund.currency,
    status: refund.status,
    reason: refund.reason,
    created_at: refund.createdAt.toISOString(),
    crm_sync_status: refund.crmSyncStatus,
    of_order_payment: refund.appliesToOrder,
  };
}

export const OrderItemSchema = z
  .object({
    product: z.object({
      id: z.number().int(),
      name: z.string(),
      price: z.string().openapi({ example: "19.99", description: "the product's price now" }),
      currency: z.string(),
      image: PictureSchema.nullable(),
    }),
    quantity: z.number().int(),
    unit_price: z.string().openapi({ example: "19.99", description: "what this order pays per unit" }),
    amount: z.string().openapi({ example: "39.98" }),
  })
  .openapi("OrderItem");

export const OrderSchema = z
  .object({
    id: z.number().int(),
    status: z.enum(ORDER_STATUSES).openapi({
      description: "a partly refunded order stays paid; refunding the rest makes it refunded",
    }),
    items: z.array(OrderItemSchema).openapi({ description: "The order's lines, as they were asked for" }),
    product: z
      .object({
        id: z.number().int(),
        name: z.string(),
        price: z.string().openapi({ example: "19.99", description: "the first line's unit price" }),
        currency: z.string(),
      })
      .openapi({ description: "For old clients: the first line's product (read `items`)" }),
    quantity: z.number().int().openapi({ description: "For old clients: the first line's quantity" }),
    amount: z.string().openapi({ example: "39.98", description: "the sum of the lines" }),
    currency: z.string().openapi({ example: "usd" }),
    crm_sync_status: z.enum(CRM_SYNC_STATUSES),
    created_at: z.string().openapi({ format: "date-time" }),
    paid_at: z.string().nullable().openapi({ format: "date-time" }),
    refunded_amount: z.string().openapi({ example: "0.00" }),
    cancelled_at: z.string().nullable().openapi({ format: "date-time" }),
    cancellation_reason: z
      .enum(CANCEL_REASONS)
      .nullable()
      .openapi({
        description:
          "requested: by the customer or an admin; sold_out: the payment arrived after the units it no longer " +
          "held were sold, so it was refunded in full",
      }),
    refunds: z.array(RefundSchema),
    payment: z.object({
      provider: z
        .enum(["stripe", "razorpay"])
        .nullable()
        .openapi({ description: "who takes the payment; null until a checkout is opened" }),
      session_id: z.string().nullable().openapi({
        description: "the checkout: Stripe's Checkout Session (cs_...) or Razorpay's order (order_...)",
      }),
      status: z.string().openapi({ description: "unpaid, open, paid, expired or failed" }),
      expires_at: z
        .string()
        .nullable()
        .openapi({ format: "date-time", description: "when the open session lapses" }),
      paid_at: z.string().nullable().openapi({ format: "date-time" }),
    }),
  })
  .openapi("Order");

export type OrderJson = z.infer<typeof OrderSchema>;

export function presentOrder(order: CustomerOrder): OrderJson {
  return {
    id: order.id,
    status: order.status,
    items: order.items.map((item) => ({
      product: {
        id: item.product.id,
        name: item.product.name,
        price: formatMinor(item.product.priceMinor, item.product.currency),
        currency: item.product.currency,
        image: presentPicture(item.product),
      },
      quantity: item.quantity,
      unit_price: formatMinor(item.unitPriceMinor, order.currency),
      amount: formatMinor(item.amountMinor, order.currency),
    })),
    product: {
      id: order.product.id,
      name: order.product.name,
      price: formatMinor(order.unitPriceMinor, order.currency),
      currency: order.currency,
    },
    quantity: order.quantity,
    amount: formatMinor(order.amountMinor, order.currency),
    currency: order.currency,
    crm_sync_status: order.crmSyncStatus,
    created_at: order.createdAt.toISOString(),
    paid_at: order.paidAt ? order.paidAt.toISOString() : null,
    refunded_amount: formatMinor(order.refundedMinor, order.currency),
    cancelled_at: order.cancelledAt ? order.cancelledAt.toISOString() : null,
    cancellation_reason: order.cancelReason,
    refunds: presentRefunds(order.refunds),
    payment: {
      provider: order.paymentSessionId ? checkoutProvider(order.paymentSessionId) : null,
      session_id: order.paymentSessionId,
      status: order.paymentStatus,
      expires_at: order.paymentSessionExpiresAt ? order.paymentSessionExpiresAt.toISOString() : null,
      paid_at: order.paidAt ? order.paidAt.toISOString() : null,
    },
  };
}
