import { createRoute, z } from "@hono/zod-openapi";
import { REFUND_REASONS, REFUND_STATUSES } from "../../db/enums.ts";
import type { Refund } from "../../db/store.ts";
import { requireRole } from "../auth/middleware.ts";
import { apiRouter } from "../http/router.ts";
import { IdParamSchema, jsonBody, jsonResponse, problemResponses } from "../http/schemas.ts";
import { formatMinor } from "../shared/money.ts";
import { type RefundDeps, refundOrder } from "./service.ts";

const CreateRefundSchema = z
  .object({
    amount: z
      .string()
      .optional()
      .openapi({ example: "12.50", description: "default: everything not yet refunded" }),
    reason: z.enum(REFUND_REASONS).optional(),
  })
  .openapi("CreateRefund");

const CreatedRefundSchema = z
  .object({
    id: z.string().nullable().openapi({
      example: "re_3Q1x2y",
      description: "the payment provider's refund id (Stripe re_..., Razorpay rfnd_...)",
    }),
    order_id: z.number().int(),
    amount: z.string().openapi({ example: "12.50" }),
    currency: z.string(),
    status: z.enum(REFUND_STATUSES),
    reason: z.enum(REFUND_REASONS).nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("CreatedRefund");

const createRefund = createRoute({
  method: "post",
  path: "/orders/{id}/refunds",
  operationId: "refundOrder",
  tags: ["Refunds"],
  summary: "Refund (part of) a paid order through the provider that took the payment; admins only",
  security: [{ bearerAuth: [] }],
  request: { params: IdParamSchema, body: jsonBody(CreateRefundSchema) },
  responses: {
    201: jsonResponse(CreatedRefundSchema, "The payment provider accepted the refund"),
    ...problemResponses(400, 401, 403, 404, 409, 415, 502, 503),
  },
});

export function presentCreatedRefund(refund: Refund) {
  return {
    id: refund.stripeRefundId,
    order_id: refund.orderId,
    amount: formatMinor(refund.amountMinor, refund.currency),
    currency: refund.currency,
    status: refund.status,
    reason: refund.reason,
    created_at: refund.createdAt.toISOString(),
  };
}

export function refundRoutes(deps: RefundDeps) {
  const router = apiRouter();
  router.use("/orders/:id/refunds", requireRole("admin", "Refunds are for admins."));
  return router.openapi(createRefund, async (c) => {
    const refund = await refundOrder(deps, c.req.valid("param").id, c.req.valid("json"));
    return c.json(presentCreatedRefund(refund), 201);
  });
}
