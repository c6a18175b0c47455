import type { UsersPart } from "../../db/store.ts";
import type { AuthUser } from "./middleware.ts";

/** Past this many users the memory starts over; each costs one database read to come back. */
const MAX_USERS = 10_000;

/**
 * The token check's users, kept for AUTH_USER_CACHE_MS after they were read, so that a signed-in customer's
 * requests do not each read their user row. The price is the bound: a user deleted or demoted, or whose password
 * changed, keeps a working token for at most that long (1 s by default), on every instance. A token whose user
 * is gone is never kept: it is refused on every request.
 */
export class KnownUsers {
  private readonly users = new Map<number, { user: AuthUser; until: number }>();

  constructor(
    private readonly store: UsersPart,
    private readonly keepMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `tokenVersion`: the version the caller's token carries. A kept user of an older version was read before a
   * password change whose new token this is, so it is read again rather than refusing the fresh token.
   */
  async find(id: number, tokenVersion = 0): Promise<AuthUser | undefined> {
    const known = this.users.get(id);
    if (known && known.until > this.now() && known.user.tokenVersion >= tokenVersion) return known.user;
    const row = await this.store.findUserById(id);
    if (!row) {
      this.users.delete(id);
      return undefined;
    }
    const user = { id: row.id, email: row.email, role: row.role, tokenVersion: row.tokenVersion };
    if (this.keepMs > 0) {
      if (this.users.size >= MAX_USERS) this.users.clear();
      this.users.set(id, { user, until: this.now() + this.keepMs });
    }
    return user;
  }
}
