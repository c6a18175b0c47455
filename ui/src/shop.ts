/** The shop's name: the header, every page's title, and what payment providers show the customer. */
export const SHOP_NAME = "Mini Shop";
