/** @jsxImportSource preact */

import { signal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { LocationProvider, Route, Router, useLocation } from "preact-iso";
import { api, flash, session, signOut } from "./api.ts";
import { basketCount } from "./basket.ts";
import { type Browser, BrowserContext, realBrowser } from "./browser.ts";
import { Protected, shopTimeZone } from "./components/ui.tsx";
import { AccountPage } from "./pages/account.tsx";
import { AuthPage } from "./pages/auth.tsx";
import { BasketPage } from "./pages/basket.tsx";
import { OrderPage } from "./pages/order.tsx";
import { OrdersPage } from "./pages/orders.tsx";
import { PaymentCancelledPage, PaymentResultPage } from "./pages/payment-result.tsx";
import { ProductsPage } from "./pages/products.tsx";
import { ReportsPage } from "./pages/reports.tsx";
import { SHOP_NAME } from "./shop.ts";

export const paymentsSimulated = signal(false);
export const crmSimulated = signal(false);

const guarded = (Page: () => preact.JSX.Element) => () => (
  <Protected>
    <Page />
  </Protected>
);

const MyOrders = guarded(OrdersPage);
const OneOrder = guarded(OrderPage);
const Reports = guarded(ReportsPage);
const Account = guarded(AccountPage);
const PaymentResult = guarded(PaymentResultPage);
const PaymentCancelled = guarded(PaymentCancelledPage);
const SignIn = () => <AuthPage mode="signin" />;
const Register = () => <AuthPage mode="register" />;

function Header() {
  const location = useLocation();
  const current = (path: string) => (location.path === path ? "page" : undefined);
  return (
    <header>
      <a class="brand" href="/">
        {SHOP_NAME}
      </a>
      <nav aria-label="Main">
        <a href="/" aria-current={current("/")}>
          Products
        </a>
        <a
          href="/basket"
          aria-current={current("/basket")}
          aria-label={`Basket, ${basketCount.value} ${basketCount.value === 1 ? "item" : "items"}`}
        >
          Basket{" "}
          <span class="badge" aria-hidden="true">
            {basketCount.value}
          </span>
        </a>
        {session.value && (
          <>
            <a href="/orders" aria-current={current("/orders")}>
              My orders
            </a>
            <a href="/reports" aria-current={current("/reports")}>
              Reports
            </a>
            <a href="/account" aria-current={current("/account")}>
              Account
            </a>
          </>
        )}
        {session.value ? (
          <span class="account">
            <span class="account-email" title={session.value.user.email}>
              {session.value.user.email}
            </span>
            <button
              type="button"
              class="link"
              onClick={() => {
                signOut();
                location.route("/");
              }}
            >
              Sign out
            </button>
          </span>
        ) : (
          <a href="/signin" aria-current={current("/signin")}>
            Sign in
          </a>
        )}
      </nav>
    </header>
  );
}

/** The flash message on the page it was meant for, gone once the visitor moves on. */
function Flash() {
  const location = useLocation();
  const message = flash.value;
  const shown = useRef(false);
  useEffect(() => {
    if (!message) return;
    if (location.url === message.url) shown.current = true;
    else if (shown.current) {
      flash.value = null;
      shown.current = false;
    }
  }, [location.url, message]);
  return message && location.url === message.url ? (
    <p class="notice" role="status">
      {message.text}
    </p>
  ) : null;
}

/** Each page's title, as the browser's tab, history and a screen reader name it. */
export function pageTitle(path: string): string {
  const titles: Record<string, string> = {
    "/": "Products",
    "/basket": "Basket",
    "/signin": "Sign in",
    "/register": "Create an account",
    "/orders": "My orders",
    "/reports": "Reports",
    "/account": "Account",
  };
  const title =
    titles[path] ??
    (/^\/orders\/\d+$/.test(path)
      ? `Order #${path.slice("/orders/".length)}`
      : /^\/orders\/\d+\/payment-result$/.test(path)
        ? "Payment"
        : /^\/orders\/\d+\/payment-cancelled$/.test(path)
          ? "Payment cancelled"
          : "Page not found");
  return `${title} · ${SHOP_NAME}`;
}

/**
 * On every page change: the page's own title, and the keyboard's focus at the start of the new content (not left on
 * the link that was followed, or dropped to the body), as a full page load would put it.
 */
function PageChange() {
  const location = useLocation();
  const first = useRef(true);
  useEffect(() => {
    document.title = pageTitle(location.path);
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById("main")?.focus();
  }, [location.path]);
  return null;
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <a href="/">Back to the products</a>
      </p>
    </section>
  );
}

export function App({ browser = realBrowser }: { browser?: Browser } = {}) {
  useEffect(() => {
    api.meta().then(
      (meta) => {
        paymentsSimulated.value = meta.payments_simulated;
        crmSimulated.value = meta.crm_simulated;
        shopTimeZone.value = meta.time_zone;
      },
      () => undefined,
    );
  }, []);
  return (
    <BrowserContext.Provider value={browser}>
      <LocationProvider>
        <PageChange />
        <a class="skip" href="#main">
          Skip to content
        </a>
        <Header />
        <main id="main" tabIndex={-1}>
          <Flash />
          <Router>
            <Route path="/" component={ProductsPage} />
            <Route path="/basket" component={BasketPage} />
            <Route path="/signin" component={SignIn} />
            <Route path="/register" component={Register} />
            <Route path="/orders" component={MyOrders} />
            <Route path="/orders/:id" component={OneOrder} />
            <Route path="/reports" component={Reports} />
            <Route path="/account" component={Account} />
            <Route path="/orders/:id/payment-result" component={PaymentResult} />
            <Route path="/orders/:id/payment-cancelled" component={PaymentCancelled} />
            <Route default component={NotFound} />
          </Router>
        </main>
        {/* Last and stuck to the bottom of the window: it appears once /meta answers, and moves nothing above it. */}
        {(paymentsSimulated.value || crmSimulated.value) && (
          <p class="banner" role="note">
            {paymentsSimulated.value && crmSimulated.value
              ? "Payments and the CRM are simulated — no real money moves and no order leaves this machine."
              : paymentsSimulated.value
                ? "Payments are simulated — no real money moves."
                : "The CRM is simulated — no order leaves this machine."}
          </p>
        )}
      </LocationProvider>
    </BrowserContext.Provider>
  );
}
