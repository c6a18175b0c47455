import { expect, test } from "bun:test";
import { storeTargets, uniqueEmail, useStore } from "../../tests/support.ts";
import { bunPasswordHasher } from "../runtime/passwords.ts";

for (const target of storeTargets()) {
  target.describe(`bun run admin:create on ${target.name}`, () => {
    const db = useStore(target);

    async function createAdmin(args: string[], stdin = "") {
      const child = Bun.spawn(["bun", "run", "server/admin/create-admin.ts", ...args], {
        env: { ...process.env, NODE_ENV: "test", DATABASE_URL: db.url },
        stdin: new TextEncoder().encode(stdin),
        stdout: "pipe",
        stderr: "pipe",
      });
      const [exitCode, stdout, stderr] = await Promise.all([
        child.exited,
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]);
      return { exitCode, stdout, stderr };
    }

    test("creates an admin with the given password", async () => {
      const email = uniqueEmail("new-admin");
      const result = await createAdmin(["--email", email, "--password", "a new admin password"]);
      expect(result.stdout).toContain(`Created admin ${email}`);
      expect(result.exitCode).toBe(0);
      const user = await db.store.findUserByEmail(email);
      expect(user?.role).toBe("admin");
      expect(await bunPasswordHasher.verify("a new admin password", user?.passwordHash ?? "")).toBe(true);
    });

    test("promotes an existing customer, asking for the password when it is left out", async () => {
      const email = uniqueEmail("promoted");
      const customer = await db.store.createUser({
        email,
        name: "Customer",
        passwordHash: await bunPasswordHasher.hash("old customer password"),
        role: "customer",
      });
      const result = await createAdmin(["--email", email.toUpperCase()], "typed at the prompt\n");
      expect(result.stdout).toContain("Password for the admin:");
      expect(result.stdout).toContain(`Promoted admin ${email}`);
      expect(result.exitCode).toBe(0);
      const user = await db.store.findUserById(customer.id);
      expect(user?.role).toBe("admin");
      expect(await bunPasswordHasher.verify("typed at the prompt", user?.passwordHash ?? "")).toBe(true);
    });

    test("refuses what registration refuses, and creates nobody", async () => {
      const email = uniqueEmail("refused");
      const badEmail = await createAdmin(["--email", "not-an-email", "--password", "long enough password"]);
      expect(badEmail.exitCode).toBe(2);
      expect(badEmail.stderr).toContain("--email must be a valid email address");
      const missingEmail = await createAdmin(["--password", "long enough password"]);
      expect(missingEmail.exitCode).toBe(2);
      const shortPassword = await createAdmin(["--email", email, "--password", "short"]);
      expect(shortPassword.exitCode).toBe(2);
      expect(shortPassword.stderr).toContain("The password must be at least 8 characters");
      const longPassword = await createAdmin(["--email", email, "--password", "x".repeat(201)]);
      expect(longPassword.exitCode).toBe(2);
      expect(await db.store.findUserByEmail(email)).toBeUndefined();
    });
  });
}
