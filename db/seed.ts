import { loadConfigOrExit } from "../server/config.ts";
import { openStore } from "./open-store.ts";
import { seedDemoProducts } from "./seed-data.ts";

const config = loadConfigOrExit();
const store = await openStore(config.DATABASE_URL);
try {
  const inserted = await seedDemoProducts(store, config.CURRENCY);
  console.log(`demo products: ${inserted} inserted`);
} finally {
  await store.close();
}
