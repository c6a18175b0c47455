import { parseArgs } from "node:util";
import type { z } from "zod";
import { openStore } from "../../db/open-store.ts";
import { RegisterSchema } from "../auth/routes.ts";
import { loadConfigOrExit } from "../config.ts";
import { bunPasswordHasher } from "../runtime/passwords.ts";
import { ensureAdmin } from "./admins.ts";

/** `bun run admin:create --email EMAIL [--password PASSWORD]`: asks for the password when it is left out. */
const { values } = parseArgs({ options: { email: { type: "string" }, password: { type: "string" } } });
const config = loadConfigOrExit();
const email = validOrExit("--email", RegisterSchema.shape.email, values.email ?? "");
const password = validOrExit(
  "The password",
  RegisterSchema.shape.password,
  values.password ?? (await readHidden("Password for the admin: ")),
);
const store = await openStore(config.DATABASE_URL);
try {
  const { user, created } = await ensureAdmin(store, bunPasswordHasher, { email, password });
  console.log(`${created ? "Created" : "Promoted"} admin ${user.email} (id ${user.id}).`);
} finally {
  await store.close();
}

/** The same rules as registration; on a bad value, says why with the usage and exits with status 2. */
function validOrExit<T>(label: string, schema: z.ZodType<T, string>, value: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  console.error(`${label} ${result.error.issues[0]?.message ?? "is invalid"}.`);
  console.error("Usage: bun run admin:create --email admin@example.com [--password ...]");
  process.exit(2);
}

/** Reads a line from the terminal without echoing it; from a pipe, reads the first line. */
async function readHidden(question: string): Promise<string> {
  process.stdout.write(question);
  const stdin = process.stdin;
  if (stdin.isTTY) stdin.setRawMode(true);
  let typed = "";
  for await (const chunk of stdin) {
    for (const char of String(chunk)) {
      if (char === "\u0003") process.exit(130);
      if (char === "\r" || char === "\n") {
        if (stdin.isTTY) stdin.setRawMode(false);
        process.stdout.write("\n");
        stdin.pause();
        return typed;
      }
      typed = char === "\u007f" ? typed.slice(0, -1) : typed + char;
    }
  }
  return typed;
}
