/**
 * Password hashing is the one runtime-specific service: Bun has argon2id built in, Node uses hash-wasm.
 * Both read and write the same PHC strings ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
 */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

export const ARGON2_PARAMS = { memoryCost: 19456, timeCost: 2 } as const;

export const bunPasswordHasher: PasswordHasher = {
  hash: (password) => Bun.password.hash(password, { algorithm: "argon2id", ...ARGON2_PARAMS }),
  async verify(password, hash) {
    try {
      return await Bun.password.verify(password, hash);
    } catch {
      return false;
    }
  },
};
