import { redactedDatabaseUrl } from "../db/database-hosts.ts";
import { migrateDatabase } from "../db/migrate-store.ts";
import { loadConfigOrExit } from "./config.ts";

const config = loadConfigOrExit();
await migrateDatabase(config.DATABASE_URL);
console.log(`migrations applied to ${redactedDatabaseUrl(config.DATABASE_URL)}`);
