import { and, eq, gt, lt, lte, sql } from "drizzle-orm";
import type { AuthLimitRule, AuthReservation, LimitsPart } from "./store.ts";
import { type DialectAdapter, StorePart } from "./store-part.ts";

const DAY_MS = 24 * 3600 * 1000;

/** Sign-in and registration limits, shared by every instance through the database. */
export class LimitsStore extends StorePart implements LimitsPart {
  constructor(adapter: DialectAdapter) {
    super(adapter);
  }

  async reserveAuthAttempt(keyHash: string, rule: AuthLimitRule, now: Date): Promise<AuthReservation> {
    const { authLimits } = this.t;
    const windowEndsAt = new Date(now.getTime() + rule.windowMs);
    for (let attempt = 0; attempt < 5; attempt++) {
      // A window that ended starts afresh. Its lockouts are remembered for a day, so the next lasts longer.
      await this.write(
        this.db
          .update(authLimits)
          .set({ count: 0, windowEndsAt, lockouts: 0 })
          .where(
            and(
              eq(authLimits.keyHash, keyHash),
              lte(authLimits.windowEndsAt, new Date(now.getTime() - DAY_MS)),
            ),
          ),
      );
      await this.write(
        this.db
          .update(authLimits)
          .set({ count: 0, windowEndsAt })
          .where(and(eq(authLimits.keyHash, keyHash), lte(authLimits.windowEndsAt, now))),
      );
      const { affectedRows } = await this.write(
        this.db
          .update(authLimits)
          .set({ count: sql`${authLimits.count} + 1` })
          .where(and(eq(authLimits.keyHash, keyHash), lt(authLimits.count, rule.limit))),
      );
      if (affectedRows > 0) return { allowed: true };
      const [row] = await this.db
        .select({ count: authLimits.count, windowEndsAt: authLimits.windowEndsAt })
        .from(authLimits)
        .where(eq(authLimits.keyHash, keyHash));
      // A row with room left was made or reset by a concurrent attempt after this one looked: try again.
      if (row && row.count >= rule.limit && row.windowEndsAt > now) {
        return { allowed: false, retryAt: row.windowEndsAt };
      }
      if (row) continue;
      try {
        await this.write(this.db.insert(authLimits).values({ keyHash, count: 1, windowEndsAt, lockouts: 0 }));
        return { allowed: true };
      } catch (error) {
        if (!this.adapter.isUniqueViolation(error)) throw error;
      }
    }
    throw new Error(`auth limit ${keyHash} kept changing under concurrent writes`);
  }

  async releaseAuthAttempt(keyHash: string): Promise<void> {
    const { authLimits } = this.t;
    await this.write(
      this.db
        .update(authLimits)
        .set({ count: sql`${authLimits.count} - 1` })
        .where(and(eq(authLimits.keyHash, keyHash), gt(authLimits.count, 0))),
    );
  }

  async resetAuthLimit(keyHash: string): Promise<void> {
    const { authLimits } = this.t;
    await this.write(this.db.delete(authLimits).where(eq(authLimits.keyHash, keyHash)));
  }

  async extendAuthLockout(keyHash: string, rule: AuthLimitRule, now: Date, maxLockMs: number): Promise<void> {
    const { authLimits } = this.t;
    const [row] = await this.db.select().from(authLimits).where(eq(authLimits.keyHash, keyHash));
    if (!row || row.count < rule.limit) return;
    const lockMs = Math.min(maxLockMs, rule.windowMs * 2 ** Math.min(row.lockouts, 30));
    const lockedUntil = new Date(Math.max(row.windowEndsAt.getTime(), now.getTime() + lockMs));
    await this.write(
      this.db
        .update(authLimits)
        .set({ windowEndsAt: lockedUntil, lockouts: row.lockouts + 1 })
        .where(and(eq(authLimits.keyHash, keyHash), eq(authLimits.lockouts, row.lockouts))),
    );
  }

  async pruneAuthLimits(before: Date): Promise<void> {
    const { authLimits } = this.t;
    await this.write(this.db.delete(authLimits).where(lt(authLimits.windowEndsAt, before)));
  }
}
