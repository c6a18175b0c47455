import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { ApiError, type RazorpayCheckout } from "./api.ts";
import { SHOP_NAME } from "./shop.ts";

/** What Razorpay Checkout hands the page after a payment: proof for confirm-payment. */
export interface RazorpayProof {
  razorpay_payment_id: string;
  razorpay_order_id: string;
  razorpay_signature: string;
}

/** What the pages ask of the browser beyond the DOM; a test gives the App its own. */
export interface Browser {
  /** Leaves the page: for Stripe Checkout (or the simulator's page), or for a page of this site after a payment. */
  leaveFor(url: string): void;
  /** Opens Razorpay Checkout over the page: its proof once the customer paid, undefined when they closed it. */
  openRazorpay(checkout: RazorpayCheckout, description: string): Promise<RazorpayProof | undefined>;
  /** How long the payment result waits between asks while the CRM sync is pending. */
  pollIntervalMs: number;
}

interface RazorpayCheckoutJs {
  new (options: Record<string, unknown>): { open(): void };
}

let loaded: Promise<RazorpayCheckoutJs> | undefined;

/** Razorpay's checkout.js, loaded the first time a customer pays with it (the CSP allows its origin). */
function razorpayScript(src: string): Promise<RazorpayCheckoutJs> {
  loaded ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = () => resolve((window as unknown as { Razorpay: RazorpayCheckoutJs }).Razorpay);
    script.onerror = () => {
      loaded = undefined;
      script.remove();
      reject(new ApiError(0, "Razorpay Checkout could not be loaded. Check your connection and try again."));
    };
    document.head.append(script);
  });
  return loaded;
}

export const realBrowser: Browser = {
  leaveFor: (url) => window.location.assign(url),
  async openRazorpay(checkout, description) {
    const Razorpay = await razorpayScript(checkout.checkout_script);
    return new Promise((resolve) => {
      new Razorpay({
        key: checkout.key_id,
        order_id: checkout.razorpay_order_id,
        amount: checkout.amount,
        currency: checkout.currency,
        name: SHOP_NAME,
        description,
        handler: (proof: RazorpayProof) => resolve(proof),
        modal: { ondismiss: () => resolve(undefined) },
      }).open();
    });
  },
  pollIntervalMs: 1500,
};

export const BrowserContext = createContext<Browser>(realBrowser);

export const useBrowser = () => useContext(BrowserContext);
