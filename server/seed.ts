import { openStore } from "../db/open-store.ts";
import { seedDemoProducts } from "../db/seed-data.ts";
import { loadConfigOrExit } from "./config.ts";

const config = loadConfigOrExit();
const store = await openStore(config.DATABASE_URL);
try {
  const inserted = await seedDemoProducts(store, config.CURRENCY);
  console.log(`demo products: ${inserted} inserted`);
} finally {
  await store.close();
}
