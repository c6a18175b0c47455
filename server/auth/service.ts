import type { Store, User } from "../../db/store.ts";
import { EmailTakenError } from "../../db/store.ts";
import type { Config } from "../config.ts";
import type { PasswordHasher } from "../runtime/passwords.ts";
import { AppError } from "../shared/errors.ts";
import type { SignInLimits } from "./sign-in-limits.ts";
import { issueToken } from "./tokens.ts";

export interface AuthDeps {
  config: Config;
  store: Store;
  passwords: PasswordHasher;
  signInLimits: SignInLimits;
}

export interface Session {
  user: User;
  token: string;
}

export async function registerCustomer(
  deps: AuthDeps,
  input: { email: string; password: string; name?: string },
  clientIp: string,
): Promise<Session> {
  await deps.signInLimits.beginRegistration(clientIp);
  const passwordHash = await deps.passwords.hash(input.password);
  try {
    const user = await deps.store.createUser({
      email: input.email,
      name: input.name ?? "",
      passwordHash,
      role: "customer",
    });
    return { user, token: await issueToken(deps.config, user) };
  } catch (error) {
    if (error instanceof EmailTakenError) {
      throw AppError.conflict("An account with this email already exists.", {
        errors: { email: ["is already registered"] },
      });
    }
    throw error;
  }
}

/** A hash to verify against when the email is unknown, so both failures take the same time. */
let decoyHash: Promise<string> | undefined;

export async function logIn(
  deps: AuthDeps,
  input: { email: string; password: string },
  clientIp: string,
  knownDevice = false,
): Promise<Session> {
  const attempt = await deps.signInLimits.beginSignIn(input.email, clientIp, knownDevice);
  let user: User | undefined;
  let valid = false;
  try {
    user = await deps.store.findUserByEmail(input.email);
    decoyHash ??= deps.passwords.hash("decoy password never used");
    valid = await deps.passwords.verify(input.password, user?.passwordHash ?? (await decoyHash));
  } catch (error) {
    await deps.signInLimits.release(attempt);
    throw error;
  }
  if (!user || !valid) {
    await deps.signInLimits.signInFailed(attempt);
    throw AppError.unauthenticated("The email or password is wrong.");
  }
  await deps.signInLimits.signInSucceeded(attempt);
  return { user, token: await issueToken(deps.config, user) };
}

/**
 * A new password for a signed-in user, who proves the current one (under the sign-in limits, so a stolen token
 * cannot be used to guess it). Every token and admin session of the user ends, on every instance, but the admin
 * session `keepAdminSessionHash` names; the answer holds a fresh token for the caller. `from` is where the request
 * came from, as for a sign-in.
 */
export async function changePassword(
  deps: AuthDeps,
  user: { email: string },
  input: { currentPassword: string; newPassword: string },
  from: { clientIp: string; knownDevice: boolean },
  keepAdminSessionHash?: string,
): Promise<Session> {
  let proven: User;
  try {
    const current = { email: user.email, password: input.currentPassword };
    proven = (await logIn(deps, current, from.clientIp, from.knownDevice)).user;
  } catch (error) {
    if (error instanceof AppError && error.kind === "unauthenticated")
      throw AppError.invalid({ currentPassword: ["is not the password of this account"] });
    throw error;
  }
  const passwordHash = await deps.passwords.hash(input.newPassword);
  const changed = await deps.store.changePassword(proven.id, passwordHash, keepAdminSessionHash);
  if (!changed) throw AppError.unauthenticated("The account no longer exists.");
  return { user: changed, token: await issueToken(deps.config, changed) };
}
