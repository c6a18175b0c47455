import { openStore } from "../db/open-store.ts";
import { loadConfigOrExit } from "./config.ts";
import { seedDemoProducts } from "./products/demo-products.ts";

const config = loadConfigOrExit();
const store = await openStore(config.DATABASE_URL);
try {
  const inserted = await seedDemoProducts(store, config.CURRENCY, config.MEDIA_DIR);
  console.log(`demo products: ${inserted} inserted`);
} finally {
  await store.close();
}
