import { createHash } from "node:crypto";
import type { AuthLimitRule, LimitsPart } from "../../db/store.ts";
import type { Config } from "../config.ts";
import { AppError } from "../shared/errors.ts";
import { clientNetwork } from "./client-network.ts";

const HOUR_MS = 3600 * 1000;
/** The longest a growing lockout lasts. */
const MAX_LOCKOUT_MS = 24 * HOUR_MS;

interface Limit {
  key: string;
  rule: AuthLimitRule;
  /** Whether each lockout of this key lasts twice as long as the one before. */
  grows: boolean;
  /** Whether a successful sign-in forgets the key's failures (only where the one signing in is the owner). */
  clearedBySuccess?: boolean;
}

/** What a sign-in attempt holds until its outcome is known. */
export interface SignInAttempt {
  limits: Limit[];
}

/**
 * Limits on sign-in and registration, counted in the database so that every instance sees the same numbers. A client
 * is its IPv4 address or its IPv6 network (clientNetwork).
 * Failures count per (account, client IP) and per client IP, with growing lockouts, so a burst from one address
 * locks out that address and not the account's owner elsewhere; per account across all addresses a much higher
 * ceiling (OWASP ASVS: 100 an hour) stops a spread-out attack. An attempt is counted when it starts, so a burst of
 * concurrent attempts cannot all pass before the first password check ends; one that does not fail gives its count
 * back.
 */
export class SignInLimits {
  private prunedAt = 0;

  constructor(
    private readonly config: Config,
    private readonly store: LimitsPart,
  ) {}

  /** `knownDevice`: the browser signed in to this account before (known-device.ts), so the account's ceiling is not its. */
  async beginSignIn(email: string, clientIp: string, knownDevice = false): Promise<SignInAttempt> {
    const account = accountOf(email);
    const { config } = this;
    const client = clientNetwork(clientIp, config.LIMITS_IPV6_PREFIX);
    const window = config.LOGIN_WINDOW_SECONDS * 1000;
    // The narrowest limit first: a refused attempt then holds nothing on the wider ones.
    const limits: Limit[] = [
      {
        key: `sign-in:account-ip:${account}|${client}`,
        rule: { limit: config.LOGIN_MAX_FAILURES, windowMs: window },
        grows: true,
        clearedBySuccess: true,
      },
      {
        key: `sign-in:ip:${client}`,
        rule: { limit: config.LOGIN_IP_MAX_FAILURES, windowMs: window },
        grows: true,
      },
    ];
    if (!knownDevice)
      limits.push({
        key: `sign-in:account:${account}`,
        rule: {
          limit: config.LOGIN_ACCOUNT_MAX_FAILURES,
          windowMs: config.LOGIN_ACCOUNT_WINDOW_SECONDS * 1000,
        },
        grows: false,
      });
    await this.reserve(limits, "Too many failed sign-in attempts. Try again later.");
    return { limits };
  }

  /** An attempt that did not fail (it succeeded, or never reached the password check) gives its count back. */
  async release(attempt: SignInAttempt): Promise<void> {
    for (const limit of attempt.limits) await this.store.releaseAuthAttempt(hashKey(limit.key));
  }

  /** The password was right: whoever signed in from this address owns the account, so its failures here go. */
  async signInSucceeded(attempt: SignInAttempt): Promise<void> {
    for (const limit of attempt.limits) {
      const key = hashKey(limit.key);
      if (limit.clearedBySuccess) await this.store.resetAuthLimit(key);
      else await this.store.releaseAuthAttempt(key);
    }
  }

  async signInFailed(attempt: SignInAttempt): Promise<void> {
    const now = new Date();
    for (const limit of attempt.limits) {
      if (limit.grows)
        await this.store.extendAuthLockout(hashKey(limit.key), limit.rule, now, MAX_LOCKOUT_MS);
    }
  }

  /** Registrations per client IP: each one costs a password hash, so a flood of them is refused early. */
  async beginRegistration(clientIp: string): Promise<void> {
    const limit: Limit = {
      key: `register:ip:${clientNetwork(clientIp, this.config.LIMITS_IPV6_PREFIX)}`,
      rule: { limit: this.config.REGISTER_MAX_PER_IP, windowMs: this.config.REGISTER_WINDOW_SECONDS * 1000 },
      grows: false,
    };
    await this.reserve([limit], "Too many accounts were created from your address. Try again later.");
  }

  private async reserve(limits: Limit[], detail: string): Promise<void> {
    const now = new Date();
    await this.pruneNowAndThen(now);
    const held: Limit[] = [];
    for (const limit of limits) {
      const reservation = await this.store.reserveAuthAttempt(hashKey(limit.key), limit.rule, now);
      if (!reservation.allowed) {
        for (const taken of held) await this.store.releaseAuthAttempt(hashKey(taken.key));
        const seconds = Math.max(1, Math.ceil((reservation.retryAt.getTime() - Date.now()) / 1000));
        throw new AppError("rate-limited", detail, { retryAfterSeconds: seconds });
      }
      held.push(limit);
    }
  }

  private async pruneNowAndThen(now: Date): Promise<void> {
    if (now.getTime() - this.prunedAt < HOUR_MS) return;
    this.prunedAt = now.getTime();
    // The store forgets a window's lockouts a day after it ends; after that its row says nothing.
    await this.store.pruneAuthLimits(new Date(now.getTime() - 24 * HOUR_MS));
  }
}

/** The account an email names, as the limits and the known-device cookie count it. */
export const accountOf = (email: string) => email.trim().toLowerCase();

/** Keys hold emails and addresses; the table keeps only their digests. */
function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}
