import { loadConfigOrExit } from "../server/config.ts";
import { migrateDatabase } from "./migrate-store.ts";

const config = loadConfigOrExit();
await migrateDatabase(config.DATABASE_URL);
console.log(`migrations applied to ${redact(config.DATABASE_URL)}`);

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
