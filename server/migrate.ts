import { migrateDatabase } from "../db/migrate-store.ts";
import { loadConfigOrExit } from "./config.ts";

const config = loadConfigOrExit();
await migrateDatabase(config.DATABASE_URL);
console.log(`migrations applied to ${redact(config.DATABASE_URL)}`);

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
