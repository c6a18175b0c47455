import { describe, expect, test } from "bun:test";
import { nodePasswordHasher } from "./passwords.node.ts";
import { bunPasswordHasher } from "./passwords.ts";

describe("password hashes", () => {
  test("are argon2id PHC strings that Bun and Node each verify from the other", async () => {
    const fromBun = await bunPasswordHasher.hash("correct horse battery");
    const fromNode = await nodePasswordHasher.hash("correct horse battery");
    for (const hash of [fromBun, fromNode]) expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await nodePasswordHasher.verify("correct horse battery", fromBun)).toBe(true);
    expect(await bunPasswordHasher.verify("correct horse battery", fromNode)).toBe(true);
    expect(await nodePasswordHasher.verify("wrong", fromBun)).toBe(false);
    expect(await bunPasswordHasher.verify("wrong", fromNode)).toBe(false);
  });

  test("a malformed stored hash verifies as false instead of throwing", async () => {
    expect(await bunPasswordHasher.verify("x", "not a hash")).toBe(false);
    expect(await nodePasswordHasher.verify("x", "not a hash")).toBe(false);
  });
});
