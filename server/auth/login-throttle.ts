/**
 * Counts failed sign-ins per key (an IP address, an email) in a fixed window. It lives in process memory:
 * with several server instances each counts its own share, and nginx's limit_req guards the whole site.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; windowEndsAt: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfterSeconds(key: string): number {
    const entry = this.failures.get(key);
    if (!entry) return 0;
    const remaining = entry.windowEndsAt - this.now();
    if (remaining <= 0) {
      this.failures.delete(key);
      return 0;
    }
    return entry.count >= this.maxFailures ? Math.ceil(remaining / 1000) : 0;
  }

  recordFailure(key: string): void {
    const now = this.now();
    const entry = this.failures.get(key);
    if (!entry || entry.windowEndsAt <= now) {
      this.failures.set(key, { count: 1, windowEndsAt: now + this.windowMs });
      this.evictExpired(now);
    } else {
      entry.count++;
    }
  }

  reset(key: string): void {
    this.failures.delete(key);
  }

  private evictExpired(now: number): void {
    if (this.failures.size < 10_000) return;
    for (const [key, entry] of this.failures) if (entry.windowEndsAt <= now) this.failures.delete(key);
  }
}
