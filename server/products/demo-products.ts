import sharp from "sharp";
import type { NewProduct, Store } from "../../db/store.ts";
import { savePicture } from "./pictures.ts";

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

/**
 * Inserts each demo product whose name is not there yet, so running it twice adds nothing; each gets a picture
 * drawn here (no file is downloaded) and written into `mediaDir` like an upload.
 */
export async function seedDemoProducts(store: Store, currency: string, mediaDir: string): Promise<number> {
  let inserted = 0;
  for (const [index, product] of DEMO_PRODUCTS.entries()) {
    if (await store.findProductByName(product.name)) continue;
    const picture = await savePicture(await demoPicture(index), mediaDir);
    await store.createProduct({
      ...product,
      currency,
      imageHash: picture.hash,
      imageWidth: picture.width,
      imageHeight: picture.height,
    });
    inserted++;
  }
  return inserted;
}

/** A still life of simple shapes on a warm background, different for each demo product: 1280 × 960 PNG. */
async function demoPicture(index: number): Promise<Uint8Array> {
  const hue = (index * 53 + 20) % 360;
  const shapes = [
    `<rect x="440" y="300" width="400" height="460" rx="40" fill="hsl(${hue},45%,30%)"/>`,
    `<path d="M420 760 L520 360 H760 L860 760 Z" fill="hsl(${hue},40%,35%)"/><circle cx="640" cy="300" r="70" fill="hsl(${hue},40%,25%)"/>`,
    `<path d="M400 360 H880 L700 700 H580 Z" fill="hsl(${hue},35%,92%)" stroke="hsl(${hue},30%,40%)" stroke-width="12"/>`,
    `<rect x="460" y="280" width="360" height="480" rx="12" fill="hsl(${hue},30%,88%)" stroke="hsl(${hue},25%,50%)" stroke-width="10"/>`,
    `<rect x="520" y="420" width="240" height="340" rx="20" fill="hsl(${hue},20%,25%)"/><rect x="600" y="250" width="80" height="170" fill="hsl(${hue},20%,35%)"/>`,
    `<path d="M480 360 H800 V700 Q800 770 730 770 H550 Q480 770 480 700 Z" fill="hsl(${hue},50%,85%)" opacity="0.85"/>`,
  ];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="960">
    <rect width="1280" height="960" fill="hsl(${hue},35%,90%)"/>
    <ellipse cx="640" cy="790" rx="360" ry="50" fill="hsl(${hue},25%,75%)"/>
    ${shapes[index % shapes.length]}
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
