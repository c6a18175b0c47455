import { migrateDatabase } from "../db/migrate-store.ts";
import { openStore } from "../db/open-store.ts";
import { seedDemoProducts } from "../db/seed-data.ts";
import { loadConfigOrExit } from "./config.ts";
import { startBunServer, stopOnSignals } from "./server.bun.ts";

/** `bun run dev`: migrates and seeds the (by default embedded) database, then serves the API. */
const config = loadConfigOrExit({ NODE_ENV: "development", ...process.env });
await migrateDatabase(config.DATABASE_URL);
const store = await openStore(config.DATABASE_URL);
const inserted = await seedDemoProducts(store, config.CURRENCY);
await store.close();
const running = await startBunServer(config);
stopOnSignals(running);
console.log(
  `API ready on ${running.url}/api/v1 (docs: ${running.url}/api/docs; ${inserted} demo products added)`,
);
