import { and, eq, gt, lt, lte, ne, or, sql } from "drizzle-orm";
import { EmailTakenError, type NewAdminSession, type NewUser, type User, type UsersPart } from "./store.ts";
import { type DialectAdapter, lazy, StorePart } from "./store-part.ts";

/** Users, and the admin sessions that sign them in to /admin. */
export class UsersStore extends StorePart implements UsersPart {
  private readonly userById;

  constructor(adapter: DialectAdapter) {
    super(adapter);
    const { users } = this.t;
    this.userById = lazy(() =>
      this.db
        .select()
        .from(users)
        .where(eq(users.id, sql.placeholder("id")))
        .limit(1)
        .prepare(),
    );
  }

  async createUser(input: NewUser): Promise<User> {
    const { users } = this.t;
    try {
      const { insertId } = await this.write(
        this.db.insert(users).values({ ...input, email: input.email.toLowerCase() }),
      );
      return (await this.findUserById(insertId)) as User;
    } catch (error) {
      if (this.adapter.isUniqueViolation(error)) throw new EmailTakenError();
      throw error;
    }
  }

  async findUserByEmail(email: string): Promise<User | undefined> {
    const { users } = this.t;
    const [row] = await this.db.select().from(users).where(eq(users.email, email.toLowerCase())).limit(1);
    return row;
  }

  async findUserById(id: number): Promise<User | undefined> {
    const [row] = await this.userById().execute({ id });
    return row;
  }

  async deleteUser(id: number): Promise<boolean> {
    const { users } = this.t;
    const { affectedRows } = await this.write(this.db.delete(users).where(eq(users.id, id)));
    return affectedRows > 0;
  }

  async promoteToAdmin(userId: number, passwordHash: string): Promise<void> {
    await this.replacePassword(userId, { role: "admin", passwordHash });
  }

  async changePassword(
    userId: number,
    passwordHash: string,
    keepAdminSessionHash?: string,
  ): Promise<User | undefined> {
    await this.replacePassword(userId, { passwordHash }, keepAdminSessionHash);
    return this.findUserById(userId);
  }

  /** One transaction: the new password (and role), a new token version, and no admin session but the one kept. */
  private replacePassword(
    userId: number,
    changes: { passwordHash: string; role?: User["role"] },
    keepAdminSessionHash?: string,
  ): Promise<void> {
    const { adminSessions, users } = this.t;
    return this.adapter.transaction(async (tx) => {
      await tx
        .update(users)
        .set({ ...changes, tokenVersion: sql`${users.tokenVersion} + 1` })
        .where(eq(users.id, userId));
      await tx
        .delete(adminSessions)
        .where(
          and(
            eq(adminSessions.userId, userId),
            keepAdminSessionHash === undefined
              ? undefined
              : ne(adminSessions.tokenHash, keepAdminSessionHash),
          ),
        );
    });
  }

  async createAdminSession(session: NewAdminSession): Promise<void> {
    await this.write(
      this.db.insert(this.t.adminSessions).values({ ...session, lastSeenAt: session.createdAt }),
    );
  }

  async findAdminSession(tokenHash: string, now: Date, idleSince: Date): Promise<User | undefined> {
    const { adminSessions, users } = this.t;
    const [row] = await this.db
      .select({ user: users })
      .from(adminSessions)
      .innerJoin(users, eq(users.id, adminSessions.userId))
      .where(
        and(
          eq(adminSessions.tokenHash, tokenHash),
          gt(adminSessions.expiresAt, now),
          gt(adminSessions.lastSeenAt, idleSince),
          eq(users.role, "admin"),
        ),
      )
      .limit(1);
    return row?.user;
  }

  async touchAdminSession(tokenHash: string, now: Date, staleBefore: Date): Promise<void> {
    const { adminSessions } = this.t;
    await this.write(
      this.db
        .update(adminSessions)
        .set({ lastSeenAt: now })
        .where(and(eq(adminSessions.tokenHash, tokenHash), lt(adminSessions.lastSeenAt, staleBefore))),
    );
  }

  async deleteExpiredAdminSessions(now: Date, idleSince: Date): Promise<void> {
    const { adminSessions } = this.t;
    await this.write(
      this.db
        .delete(adminSessions)
        .where(or(lte(adminSessions.expiresAt, now), lte(adminSessions.lastSeenAt, idleSince))),
    );
  }

  async deleteAdminSession(tokenHash: string): Promise<void> {
    const { adminSessions } = this.t;
    await this.write(this.db.delete(adminSessions).where(eq(adminSessions.tokenHash, tokenHash)));
  }
}
