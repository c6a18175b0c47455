import type { NewProduct, Store } from "./store.ts";

/** Some with limited stock (a few low, one at its last unit), the rest unlimited. */
export const DEMO_PRODUCTS: NewProduct[] = [
  {
    name: "Espresso Beans 1kg",
    description: "Dark roast, whole beans.",
    priceMinor: 2499,
    currency: "usd",
    stock: 40,
  },
  {
    name: "Pour-over Kettle",
    description: "Gooseneck, 1 litre, stainless steel.",
    priceMinor: 4999,
    currency: "usd",
    stock: 12,
  },
  { name: "Ceramic Dripper", description: "Size 02, white porcelain.", priceMinor: 1999, currency: "usd" },
  { name: "Paper Filters (100)", description: "Unbleached, size 02.", priceMinor: 599, currency: "usd" },
  {
    name: "Burr Grinder",
    description: "Hand grinder with conical steel burrs.",
    priceMinor: 8900,
    currency: "usd",
    stock: 3,
  },
  {
    name: "Glass Server 600ml",
    description: "Heat-resistant borosilicate glass.",
    priceMinor: 2250,
    currency: "usd",
    stock: 1,
  },
];

/** Inserts each demo product whose name is not there yet, so running it twice adds nothing. */
export async function seedDemoProducts(store: Store, currency: string): Promise<number> {
  let inserted = 0;
  for (const product of DEMO_PRODUCTS) {
    if (await store.findProductByName(product.name)) continue;
    await store.createProduct({ ...product, currency });
    inserted++;
  }
  return inserted;
}
