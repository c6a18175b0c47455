import { and, eq, lt } from "drizzle-orm";
import type { WebhooksPart } from "./store.ts";
import { StorePart } from "./store-part.ts";

/** Webhook deliveries already applied, by the provider's event id. */
export class WebhooksStore extends StorePart implements WebhooksPart {
  async isWebhookEventApplied(provider: string, eventId: string): Promise<boolean> {
    const { webhookEvents } = this.t;
    const [row] = await this.db
      .select({ eventId: webhookEvents.eventId })
      .from(webhookEvents)
      .where(and(eq(webhookEvents.provider, provider), eq(webhookEvents.eventId, eventId)))
      .limit(1);
    return row !== undefined;
  }

  async recordWebhookEventApplied(provider: string, eventId: string, at: Date): Promise<void> {
    try {
      await this.write(this.db.insert(this.t.webhookEvents).values({ provider, eventId, receivedAt: at }));
    } catch (error) {
      // Two deliveries of one event applied at once: the first to finish wrote it.
      if (!this.adapter.isUniqueViolation(error)) throw error;
    }
  }

  async pruneWebhookEvents(before: Date): Promise<void> {
    const { webhookEvents } = this.t;
    await this.write(this.db.delete(webhookEvents).where(lt(webhookEvents.receivedAt, before)));
  }
}
