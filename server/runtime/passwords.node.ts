import { randomBytes } from "node:crypto";
import { argon2id, argon2Verify } from "hash-wasm";
import { ARGON2_PARAMS, type PasswordHasher } from "./passwords.ts";

export const nodePasswordHasher: PasswordHasher = {
  hash: (password) =>
    argon2id({
      password,
      salt: randomBytes(16),
      parallelism: 1,
      iterations: ARGON2_PARAMS.timeCost,
      memorySize: ARGON2_PARAMS.memoryCost,
      hashLength: 32,
      outputType: "encoded",
    }),
  async verify(password, hash) {
    try {
      return await argon2Verify({ password, hash });
    } catch {
      return false;
    }
  },
};
