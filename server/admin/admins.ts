import type { User, UsersPart } from "../../db/store.ts";
import { EmailTakenError } from "../../db/store.ts";
import type { PasswordHasher } from "../runtime/passwords.ts";

export const DEV_ADMIN = { email: "admin@example.com", password: "admin-dev-password" } as const;

/** Creates an admin, or makes an existing user one with the given password. */
export async function ensureAdmin(
  store: UsersPart,
  passwords: PasswordHasher,
  input: { email: string; password: string },
): Promise<{ user: User; created: boolean }> {
  const passwordHash = await passwords.hash(input.password);
  const existing = await store.findUserByEmail(input.email);
  if (existing) {
    await store.promoteToAdmin(existing.id, passwordHash);
    return {
      user: { ...existing, role: "admin", passwordHash, tokenVersion: existing.tokenVersion + 1 },
      created: false,
    };
  }
  try {
    return {
      user: await store.createUser({ email: input.email, name: "Admin", passwordHash, role: "admin" }),
      created: true,
    };
  } catch (error) {
    if (error instanceof EmailTakenError) return ensureAdmin(store, passwords, input);
    throw error;
  }
}
