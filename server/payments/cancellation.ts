import type { OrderView } from "../../db/store.ts";
import { AppError } from "../shared/errors.ts";
import { checkoutProvider } from "./provider.ts";
import { closeRazorpayCheckout } from "./razorpay-checkout.ts";
import type { PaymentDeps } from "./service.ts";
import { closeStripeCheckout } from "./stripe-checkout.ts";

/**
 * Calls off a pending order for its owner or an admin. Its open checkout is closed at its provider first, as far
 * as the provider allows (db: decision 017); if the provider says it was paid meanwhile, the order is fulfilled
 * instead (409). Money that still arrives for the cancelled order goes back by itself (fulfilment.ts).
 */
export async function cancelOrder(
  deps: PaymentDeps,
  orderId: number,
  user: { id: number; role: string },
): Promise<OrderView> {
  const order =
    user.role === "admin"
      ? await deps.store.findOrder(orderId)
      : await deps.store.findOrderForUser(orderId, user.id);
  if (!order) throw AppError.notFound("No such order.");
  if (order.status === "cancelled") return order;
  if (order.status !== "pending") throw AppError.conflict(`A ${order.status} order cannot be cancelled.`);
  const checkoutId = order.paymentSessionId;
  if (checkoutId && order.paymentStatus !== "expired") {
    if (checkoutProvider(checkoutId) === "razorpay") await closeRazorpayCheckout(deps, order, checkoutId);
    else await closeStripeCheckout(deps, checkoutId);
  }
  const cancelled = await deps.store.cancelOrder(order.id, new Date());
  const current = (await deps.store.findOrder(order.id)) as OrderView;
  if (!cancelled && current.status !== "cancelled") {
    throw AppError.conflict(`A ${current.status} order cannot be cancelled.`);
  }
  if (cancelled) deps.log({ level: "info", msg: "order cancelled", order_id: order.id, by: user.role });
  return current;
}
