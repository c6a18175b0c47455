import { parseArgs } from "node:util";
import { z } from "zod";
import { openStore } from "../../db/open-store.ts";
import { loadConfigOrExit } from "../config.ts";
import { bunPasswordHasher } from "../runtime/passwords.ts";
import { ensureAdmin } from "./admins.ts";

/** `bun run admin:create --email EMAIL [--password PASSWORD]`: asks for the password when it is left out. */
const { values } = parseArgs({ options: { email: { type: "string" }, password: { type: "string" } } });
const config = loadConfigOrExit();
const email = z.email().safeParse(values.email?.trim());
if (!email.success) {
  console.error(
    "Usage: bun run admin:create --email admin@example.com [--password ...]  (a valid --email is required)",
  );
  process.exit(2);
}
const password = values.password ?? (await readHidden("Password for the admin: "));
if (password.length < 8) {
  console.error("The password must be at least 8 characters.");
  process.exit(2);
}
const store = await openStore(config.DATABASE_URL);
try {
  const { user, created } = await ensureAdmin(store, bunPasswordHasher, { email: email.data, password });
  console.log(`${created ? "Created" : "Promoted"} admin ${user.email} (id ${user.id}).`);
} finally {
  await store.close();
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
