import { createContext } from "preact";
import { useContext } from "preact/hooks";

/** What the pages ask of the browser beyond the DOM; a test gives the App its own. */
export interface Browser {
  /** Leaves the site for Stripe Checkout (or the simulator's page). */
  leaveFor(url: string): void;
  /** How long the payment result waits between asks while the CRM sync is pending. */
  pollIntervalMs: number;
}

export const realBrowser: Browser = {
  leaveFor: (url) => window.location.assign(url),
  pollIntervalMs: 1500,
};

export const BrowserContext = createContext<Browser>(realBrowser);

export const useBrowser = () => useContext(BrowserContext);
