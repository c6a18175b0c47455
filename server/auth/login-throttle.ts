/**
 * Counts sign-in attempts per key (an IP address, an email) in a fixed window. An attempt counts as a failure
 * from the moment it starts, so a burst of concurrent attempts cannot all slip past the limit before the first
 * password check ends; a success gives its count back. It lives in process memory: with several server
 * instances each counts its own share, and nginx's limit_req guards the whole site.
 */
export class LoginThrottle {
  private readonly attempts = new Map<string, { count: number; windowEndsAt: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts an attempt for every key: 0 when it may go ahead (and is now counted), else seconds to wait. */
  begin(keys: string[]): number {
    const now = this.now();
    const waits = keys.map((key) => {
      const entry = this.current(key, now);
      return entry && entry.count >= this.maxFailures ? Math.ceil((entry.windowEndsAt - now) / 1000) : 0;
    });
    const wait = Math.max(0, ...waits);
    if (wait > 0) return wait;
    for (const key of keys) {
      const entry = this.current(key, now);
      if (entry) entry.count++;
      else this.attempts.set(key, { count: 1, windowEndsAt: now + this.windowMs });
    }
    this.evictExpired(now);
    return 0;
  }

  /** An attempt that did not fail (it succeeded, or never reached the password check) gives its count back. */
  release(keys: string[]): void {
    const now = this.now();
    for (const key of keys) {
      const entry = this.current(key, now);
      if (entry && --entry.count <= 0) this.attempts.delete(key);
    }
  }

  private current(key: string, now: number) {
    const entry = this.attempts.get(key);
    if (entry && entry.windowEndsAt <= now) {
      this.attempts.delete(key);
      return undefined;
    }
    return entry;
  }

  private evictExpired(now: number): void {
    if (this.attempts.size < 10_000) return;
    for (const [key, entry] of this.attempts) if (entry.windowEndsAt <= now) this.attempts.delete(key);
  }
}
