import { z } from "@hono/zod-openapi";
import type { OrderView } from "../../db/store.ts";
import { formatMinor } from "../shared/money.ts";

export const OrderSchema = z
  .object({
    id: z.number().int(),
    status: z.enum(["pending", "paid"]),
    product: z.object({
      id: z.number().int(),
      name: z.string(),
      price: z.string().openapi({ example: "19.99" }),
      currency: z.string(),
    }),
    quantity: z.number().int(),
    amount: z.string().openapi({ example: "39.98" }),
    currency: z.string().openapi({ example: "usd" }),
    crm_sync_status: z.enum(["pending", "success", "failed"]),
    created_at: z.string().openapi({ format: "date-time" }),
    paid_at: z.string().nullable().openapi({ format: "date-time" }),
    payment: z.object({
      provider: z.literal("stripe"),
      session_id: z.string().nullable(),
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

export function presentOrder(order: OrderView): OrderJson {
  return {
    id: order.id,
    status: order.status,
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
    payment: {
      provider: "stripe",
      session_id: order.paymentSessionId,
      status: order.paymentStatus,
      expires_at: order.paymentSessionExpiresAt ? order.paymentSessionExpiresAt.toISOString() : null,
      paid_at: order.paidAt ? order.paidAt.toISOString() : null,
    },
  };
}
