/** @jsxImportSource preact */
import { afterEach, describe, expect, test } from "bun:test";
import { fireEvent, render, waitFor, within } from "@testing-library/preact";
import { type RazorpayCheckout, session, signIn, signOut } from "./api.ts";
import { App, pageTitle } from "./app.tsx";
import { basketLines, emptyBasket } from "./basket.ts";
import type { Browser, RazorpayProof } from "./browser.ts";
import { safeNext } from "./pages/auth.tsx";
import { type FakeCall, problem, useDom } from "./test-dom.ts";

const USER = { id: 7, email: "ada@example.com", name: "Ada" };
const PRODUCT = {
  id: 3,
  name: "Pour-over Kettle",
  description: "Gooseneck",
  price: "49.99",
  currency: "usd",
  availability: "in_stock",
  left: null,
};

function order(overrides: Record<string, unknown> = {}) {
  return {
    id: 42,
    status: "paid",
    items: [
      {
        product: { id: 3, name: "Pour-over Kettle", price: "49.99", currency: "usd" },
        quantity: 2,
        unit_price: "49.99",
        amount: "99.98",
      },
    ],
    product: { id: 3, name: "Pour-over Kettle", price: "49.99", currency: "usd" },
    quantity: 2,
    amount: "99.98",
    currency: "usd",
    crm_sync_status: "success",
    created_at: "2026-11-24T10:00:00.000Z",
    paid_at: "2026-11-24T10:01:00.000Z",
    refunded_amount: "0.00",
    cancelled_at: null,
    cancellation_reason: null,
    refunds: [],
    payment: {
      provider: "stripe",
      session_id: "cs_test_1",
      status: "paid",
      paid_at: "2026-11-24T10:01:00.000Z",
    },
    ...overrides,
  };
}

const page = (results: unknown[]) => ({
  count: results.length,
  page: 1,
  page_size: 12,
  next: null,
  previous: null,
  results,
});

let api: (call: FakeCall) => { status: number; body?: unknown } = () => ({ status: 404, body: {} });
const calls = useDom(
  () => (call) => (call.path === "/api/v1/meta" ? { status: 200, body: meta } : api(call)),
);
let meta = { payments_simulated: false, crm_simulated: false, currency: "usd", time_zone: "UTC" };
afterEach(() => {
  meta = { ...meta, time_zone: "UTC" };
});
afterEach(signOut);
afterEach(emptyBasket);

/** Queries over the page; made per call because the DOM exists only while these tests run. */
const screen = () => within(document.body);

/** Where the site sent the browser off to (Checkout), instead of leaving the test page. */
let visited: string[] = [];
/** Razorpay Checkouts the site opened, and what the customer does in the next one (pay, or close it). */
let razorpayOpened: { checkout: RazorpayCheckout; description: string }[] = [];
let razorpayOutcome: RazorpayProof | undefined;
const testBrowser: Browser = {
  leaveFor: (url) => visited.push(url),
  openRazorpay: async (checkout, description) => {
    razorpayOpened.push({ checkout, description });
    return razorpayOutcome;
  },
  pollIntervalMs: 10,
};
afterEach(() => {
  visited = [];
  razorpayOpened = [];
  razorpayOutcome = undefined;
});

function visit(path: string) {
  history.replaceState(null, "", path);
  return render(<App browser={testBrowser} />);
}

describe("sign-in and registration", () => {
  test("signing in stores the token and returns the visitor to where they were going", async () => {
    api = (call) =>
      call.path === "/api/v1/auth/login/"
        ? { status: 200, body: { user: USER, token: "token-1" } }
        : { status: 200, body: page([]) };
    visit("/signin?next=%2Forders");
    fireEvent.input(screen().getByLabelText("Email"), { target: { value: "ada@example.com" } });
    fireEvent.input(screen().getByLabelText("Password"), { target: { value: "correct horse" } });
    fireEvent.click(screen().getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(location.pathname).toBe("/orders"));
    expect(calls.find((call) => call.path === "/api/v1/auth/login/")?.body).toEqual({
      email: "ada@example.com",
      password: "correct horse",
    });
    expect(JSON.parse(localStorage.getItem("shop.token") as string)).toBe("token-1");
    expect(await screen().findByRole("heading", { name: "My orders" })).toBeDefined();
  });

  test("after sign-in only a path of this site is followed, never another site however it is spelt", () => {
    for (const path of ["/orders", "/", "/orders/5?x=1", "/a//b"]) expect(safeNext(path)).toBe(path);
    for (const elsewhere of [
      "//evil.example",
      "/\\evil.example",
      "https://evil.example",
      "evil",
      "",
      undefined,
    ])
      expect(safeNext(elsewhere)).toBe("/");
  });

  test("wrong credentials are shown in words", async () => {
    api = () => problem(401, "The email or password is wrong.");
    visit("/signin");
    fireEvent.input(screen().getByLabelText("Email"), { target: { value: "ada@example.com" } });
    fireEvent.input(screen().getByLabelText("Password"), { target: { value: "nope nope" } });
    fireEvent.click(screen().getByRole("button", { name: "Sign in" }));
    expect((await screen().findByRole("alert")).textContent).toBe("The email or password is wrong.");
    expect(session.value).toBeNull();
  });

  test("registration shows each field's problem next to the field", async () => {
    api = () =>
      problem(400, "The request has invalid fields.", {
        errors: { email: ["must be a valid email address"], password: ["must be at least 8 characters"] },
      });
    visit("/register");
    fireEvent.input(screen().getByLabelText("Email"), { target: { value: "nope" } });
    fireEvent.click(screen().getByRole("button", { name: "Create account" }));
    expect((await screen().findByText("Email must be a valid email address.")).id).toBe("email-error");
    expect(screen().getByText("Password must be at least 8 characters.").id).toBe("password-error");
    expect(screen().getByLabelText("Email").getAttribute("aria-invalid")).toBe("true");
  });

  test("a new customer is greeted on the page registering led to, once", async () => {
    api = (call) =>
      call.path === "/api/v1/auth/register/"
        ? { status: 201, body: { user: { ...USER, name: "Ada" }, token: "token-1" } }
        : { status: 200, body: page([]) };
    visit("/register");
    fireEvent.input(screen().getByLabelText("Name (optional)"), { target: { value: "Ada" } });
    fireEvent.input(screen().getByLabelText("Email"), { target: { value: "ada@example.com" } });
    fireEvent.input(screen().getByLabelText(/^Password/), { target: { value: "long enough" } });
    fireEvent.click(screen().getByRole("button", { name: "Create account" }));
    await waitFor(() => expect(location.pathname).toBe("/"));
    expect((await screen().findByRole("status")).textContent).toBe("Welcome, Ada! Your account is ready.");
  });

  test("a taken email says so under the email field, as a sentence, with the way to sign in instead", async () => {
    api = () =>
      problem(409, "An account with this email already exists.", {
        errors: { email: ["is already registered"] },
      });
    visit("/register");
    fireEvent.input(screen().getByLabelText("Email"), { target: { value: "ada@example.com" } });
    fireEvent.input(screen().getByLabelText(/^Password/), { target: { value: "long enough" } });
    fireEvent.click(screen().getByRole("button", { name: "Create account" }));
    const said = await screen().findByText(/Email is already registered\./);
    expect(said.id).toBe("email-error");
    expect(said.querySelector("a")?.getAttribute("href")).toBe("/signin");
    expect(said.textContent).toBe("Email is already registered. Sign in with it instead");
  });
});

describe("account", () => {
  const fill = (label: string, value: string) =>
    fireEvent.input(screen().getByLabelText(label), { target: { value } });

  test("changing the password keeps this browser signed in with the new token and says the others are signed out", async () => {
    signIn("token-1", USER);
    api = (call) =>
      call.path === "/api/v1/auth/password/"
        ? { status: 200, body: { user: USER, token: "token-2" } }
        : { status: 404, body: {} };
    visit("/");
    fireEvent.click(await screen().findByRole("link", { name: "Account" }));
    expect(await screen().findByRole("heading", { name: "Change password" })).toBeDefined();
    fill("Current password", "correct horse");
    fill("New password (at least 8 characters)", "a brand new password");
    fill("New password again", "a brand new password");
    fireEvent.click(screen().getByRole("button", { name: "Change password" }));
    expect((await screen().findByRole("status")).textContent).toBe(
      "Password changed. You are signed out everywhere else.",
    );
    const sent = calls.find((call) => call.path === "/api/v1/auth/password/");
    expect(sent?.body).toEqual({ currentPassword: "correct horse", newPassword: "a brand new password" });
    expect(sent?.authorization).toBe("Bearer token-1");
    expect(session.value?.token).toBe("token-2");
    expect(JSON.parse(localStorage.getItem("shop.token") as string)).toBe("token-2");
    expect((screen().getByLabelText("Current password") as HTMLInputElement).value).toBe("");
  });

  test("a wrong current password is said under its field; a mistyped confirmation is caught before sending", async () => {
    signIn("token-1", USER);
    api = () =>
      problem(400, "The request has invalid fields.", {
        errors: { currentPassword: ["is not the password of this account"] },
      });
    visit("/account");
    fill("Current password", "not it");
    fill("New password (at least 8 characters)", "a brand new password");
    fill("New password again", "a brand new pasword");
    fireEvent.click(await screen().findByRole("button", { name: "Change password" }));
    expect((await screen().findByText("New password again does not match the new password.")).id).toBe(
      "confirmPassword-error",
    );
    expect(calls.some((call) => call.path === "/api/v1/auth/password/")).toBe(false);
    fill("New password again", "a brand new password");
    fireEvent.click(screen().getByRole("button", { name: "Change password" }));
    expect((await screen().findByText("Current password is not the password of this account.")).id).toBe(
      "currentPassword-error",
    );
    expect(session.value?.token).toBe("token-1");
  });

  test("a signed-out visitor is sent to sign-in first", async () => {
    visit("/account");
    await waitFor(() =>
      expect(location.pathname + location.search).toBe("/signin?next=%2Faccount&reason=protected"),
    );
  });
});

describe("pages past the end", () => {
  test('a products page past the last shows the last page instead of "Page 5 of 1"', async () => {
    api = (call) =>
      call.path.includes("page=5")
        ? { status: 200, body: { ...page([]), count: 3, page: 5, previous: "/api/v1/products/?page=4" } }
        : { status: 200, body: page([PRODUCT]) };
    visit("/?page=5");
    await waitFor(() => expect(location.pathname + location.search).toBe("/?page=1"));
    expect(await screen().findByRole("heading", { name: PRODUCT.name })).toBeDefined();
  });
});

describe("protected routes", () => {
  test("a signed-out visitor is sent to sign-in, remembering the page", async () => {
    api = () => ({ status: 200, body: page([]) });
    visit("/reports");
    await waitFor(() =>
      expect(location.pathname + location.search).toBe("/signin?next=%2Freports&reason=protected"),
    );
    expect((await screen().findByRole("status")).textContent).toBe("Sign in to see this page.");
    expect(calls.some((call) => call.path.startsWith("/api/v1/reports"))).toBe(false);
  });

  test("an expired or rejected token signs out cleanly", async () => {
    signIn("expired-token", USER);
    api = () => problem(401, "The token is invalid or has expired. Sign in again.");
    visit("/orders");
    await waitFor(() => expect(location.pathname).toBe("/signin"));
    expect(session.value).toBeNull();
    expect(localStorage.getItem("shop.token")).toBeNull();
  });
});

describe("buying", () => {
  test("Buy now makes one order and one session even when clicked twice, then goes to Checkout", async () => {
    signIn("token-1", USER);
    api = (call) => {
      if (call.path.startsWith("/api/v1/products/")) return { status: 200, body: page([PRODUCT]) };
      if (call.path === "/api/v1/orders/") return { status: 201, body: order({ id: 9, status: "pending" }) };
      if (call.path === "/api/v1/orders/9/create-payment/") {
        return {
          status: 201,
          body: {
            order_id: 9,
            session_id: "cs_1",
            checkout_url: "https://checkout.test/cs_1",
            expires_at: "",
          },
        };
      }
      return { status: 404, body: {} };
    };
    visit("/");
    expect(
      await screen().findByText(
        new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" }).format(49.99),
      ),
    ).toBeDefined();
    fireEvent.input(screen().getByLabelText("Quantity"), { target: { value: "2" } });
    const button = screen().getByRole("button", { name: "Buy now" });
    fireEvent.click(button);
    fireEvent.click(button);
    await waitFor(() => expect(visited).toEqual(["https://checkout.test/cs_1"]));
    expect(calls.filter((call) => call.path === "/api/v1/orders/")).toHaveLength(1);
    expect(calls.find((call) => call.path === "/api/v1/orders/")?.body).toEqual({
      items: [{ product_id: 3, quantity: 2 }],
    });
    expect(calls.filter((call) => call.path.endsWith("/create-payment/"))).toHaveLength(1);
  });

  describe("with Razorpay", () => {
    const CHECKOUT: RazorpayCheckout = {
      order_id: 9,
      provider: "razorpay",
      razorpay_order_id: "order_Ez5G3JQ8Zk9bXy",
      key_id: "rzp_test_key",
      amount: 9998,
      currency: "INR",
      checkout_script: "https://checkout.razorpay.com/v1/checkout.js",
      reused: false,
    };
    const buying = (call: FakeCall) => {
      if (call.path.startsWith("/api/v1/products/")) return { status: 200, body: page([PRODUCT]) };
      if (call.path === "/api/v1/orders/") return { status: 201, body: order({ id: 9, status: "pending" }) };
      if (call.path === "/api/v1/orders/9/create-payment/") return { status: 201, body: CHECKOUT };
      return { status: 404, body: {} };
    };

    test("Buy now opens Razorpay Checkout over the page, then confirms with the three fields it handed back", async () => {
      signIn("token-1", USER);
      api = buying;
      razorpayOutcome = {
        razorpay_payment_id: "pay_29QQoUBi66xm2f",
        razorpay_order_id: CHECKOUT.razorpay_order_id,
        razorpay_signature: "ab".repeat(32),
      };
      visit("/");
      fireEvent.click(await screen().findByRole("button", { name: "Buy now" }));
      await waitFor(() => expect(visited).toHaveLength(1));
      expect(razorpayOpened).toEqual([{ checkout: CHECKOUT, description: "Order 9" }]);
      const [path, query] = (visited[0] as string).split("?");
      expect(path).toBe("/orders/9/payment-result");
      expect(Object.fromEntries(new URLSearchParams(query))).toEqual({ ...razorpayOutcome });
    });

    test("a closed Razorpay Checkout leaves the order payable, on the payment-cancelled page", async () => {
      signIn("token-1", USER);
      api = buying;
      visit("/");
      fireEvent.click(await screen().findByRole("button", { name: "Buy now" }));
      await waitFor(() => expect(visited).toEqual(["/orders/9/payment-cancelled"]));
      expect(razorpayOpened).toHaveLength(1);
    });
  });

  test("a signed-out visitor who presses Buy now is asked to sign in first", async () => {
    api = () => ({ status: 200, body: page([PRODUCT]) });
    visit("/");
    fireEvent.click(await screen().findByRole("button", { name: "Buy now" }));
    await waitFor(() => expect(location.pathname).toBe("/signin"));
    expect((await screen().findByRole("status")).textContent).toBe("Sign in to buy.");
  });

  test("a token rejected while buying signs out and asks to sign in again, then returns here", async () => {
    signIn("expired-token", USER);
    api = (call) =>
      call.path.startsWith("/api/v1/products/")
        ? { status: 200, body: page([PRODUCT]) }
        : problem(401, "The token is invalid or has expired. Sign in again.");
    visit("/?page=1");
    fireEvent.click(await screen().findByRole("button", { name: "Buy now" }));
    await waitFor(() =>
      expect(location.pathname + location.search).toBe("/signin?next=%2F%3Fpage%3D1&reason=expired"),
    );
    expect((await screen().findByRole("status")).textContent).toBe("Your session ended, sign in again.");
    expect(session.value).toBeNull();
    expect(calls.filter((call) => call.path.endsWith("/create-payment/"))).toHaveLength(0);
  });

  test("a visible banner says when payments are simulated", async () => {
    meta = { ...meta, payments_simulated: true, crm_simulated: false };
    api = () => ({ status: 200, body: page([]) });
    visit("/");
    expect((await screen().findByRole("note")).textContent).toContain("Payments are simulated");
    meta = { ...meta, payments_simulated: false, crm_simulated: false };
  });

  test("the banner says when the CRM is simulated too", async () => {
    meta = { ...meta, payments_simulated: true, crm_simulated: true };
    api = () => ({ status: 200, body: page([]) });
    visit("/");
    await waitFor(() =>
      expect(screen().getByRole("note").textContent).toBe(
        "Payments and the CRM are simulated — no real money moves and no order leaves this machine.",
      ),
    );
    meta = { ...meta, payments_simulated: false, crm_simulated: false };
  });
});

describe("the basket", () => {
  const MUG = { ...PRODUCT, id: 4, name: "Mug", price: "12.50", availability: "low", left: 3 };
  const GONE = { ...PRODUCT, id: 5, name: "Filter papers", price: "4.00", availability: "sold_out", left: 0 };
  const products = () => ({ status: 200, body: page([PRODUCT, MUG, GONE]) });
  const money = (amount: number) =>
    new Intl.NumberFormat(undefined, { style: "currency", currency: "USD" }).format(amount);
  const card = (name: string) => within(screen().getByRole("heading", { name }).closest("li") as HTMLElement);

  test("the products list says In stock, Only N left or Sold out; a sold-out product offers no way to buy", async () => {
    api = (call) => (call.path.startsWith("/api/v1/products/") ? products() : { status: 404, body: {} });
    visit("/");
    await screen().findByText("Only 3 left");
    expect(card("Pour-over Kettle").getByText("In stock")).toBeDefined();
    expect(card("Filter papers").getByText("Sold out")).toBeDefined();
    expect(card("Filter papers").queryByRole("button")).toBeNull();
    expect(card("Mug").getByLabelText("Quantity").getAttribute("max")).toBe("3");
  });

  test("Add to basket counts in the header; the basket changes quantities, removes lines, totals, and survives a reload", async () => {
    api = (call) => (call.path.startsWith("/api/v1/products/") ? products() : { status: 404, body: {} });
    const view = visit("/");
    await screen().findByText("Only 3 left");
    fireEvent.click(card("Pour-over Kettle").getByRole("button", { name: "Add to basket" }));
    fireEvent.input(card("Mug").getByLabelText("Quantity"), { target: { value: "2" } });
    fireEvent.click(card("Mug").getByRole("button", { name: "Add to basket" }));
    expect(screen().getByRole("link", { name: "Basket, 3 items" })).toBeDefined();
    expect(card("Mug").getByRole("status").textContent).toContain("Added 2 × Mug to your basket.");
    // The Mug has 3 left: adding 2 more keeps 3.
    fireEvent.click(card("Mug").getByRole("button", { name: "Add to basket" }));
    expect(card("Mug").getByRole("status").textContent).toContain("Only 3 of Mug can be in the basket.");
    expect(JSON.parse(localStorage.getItem("shop.basket") as string)).toHaveLength(2);
    view.unmount();

    visit("/basket");
    expect(await screen().findByRole("heading", { name: "Basket" })).toBeDefined();
    const total = () => document.querySelector(".total")?.textContent;
    expect(total()).toBe(`4 items, total ${money(49.99 + 3 * 12.5)}`);
    fireEvent.change(screen().getByLabelText("Quantity of Pour-over Kettle"), { target: { value: "2" } });
    expect(total()).toBe(`5 items, total ${money(2 * 49.99 + 3 * 12.5)}`);
    fireEvent.click(screen().getByRole("button", { name: "Remove Mug" }));
    expect(total()).toBe(`2 items, total ${money(2 * 49.99)}`);
    expect(screen().getByRole("link", { name: "Basket, 2 items" })).toBeDefined();
    expect(basketLines.value.map((line) => [line.productId, line.quantity])).toEqual([[3, 2]]);
  });

  test("a quantity of 0, -2, nothing, 1.5 or more than can be bought is refused next to the field, never bought as another number", async () => {
    api = (call) => (call.path.startsWith("/api/v1/products/") ? products() : { status: 404, body: {} });
    const view = visit("/");
    await screen().findByText("Only 3 left");
    for (const typed of ["0", "-2", "", "1.5", "4"]) {
      fireEvent.input(card("Mug").getByLabelText("Quantity"), { target: { value: typed } });
      fireEvent.click(card("Mug").getByRole("button", { name: "Add to basket" }));
      expect({ typed, said: card("Mug").getByRole("alert").textContent }).toEqual({
        typed,
        said: "Choose a quantity from 1 to 3.",
      });
      expect(card("Mug").getByLabelText("Quantity").getAttribute("aria-invalid")).toBe("true");
    }
    fireEvent.click(card("Mug").getByRole("button", { name: "Buy now" }));
    expect(calls.filter((call) => call.method === "POST")).toEqual([]);
    expect(basketLines.value).toEqual([]);
    fireEvent.input(card("Mug").getByLabelText("Quantity"), { target: { value: "3" } });
    fireEvent.click(card("Mug").getByRole("button", { name: "Add to basket" }));
    expect(basketLines.value.map((line) => line.quantity)).toEqual([3]);
    view.unmount();

    visit("/basket");
    fireEvent.change(await screen().findByLabelText("Quantity of Mug"), { target: { value: "1000" } });
    expect(screen().getByRole("alert").textContent).toBe("Choose a quantity from 1 to 3.");
    expect(basketLines.value.map((line) => line.quantity)).toEqual([3]);
    expect((screen().getByRole("button", { name: /Pay/ }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen().getByLabelText("Quantity of Mug"), { target: { value: "2" } });
    expect(screen().queryByRole("alert")).toBeNull();
    expect(basketLines.value.map((line) => line.quantity)).toEqual([2]);
  });

  test("Pay makes one order of the basket's lines, empties the basket and goes to Checkout", async () => {
    signIn("token-1", USER);
    basketLines.value = [
      { productId: 3, name: "Pour-over Kettle", price: "49.99", currency: "usd", quantity: 1, left: null },
      { productId: 4, name: "Mug", price: "12.50", currency: "usd", quantity: 2, left: 3 },
    ];
    api = (call) => {
      if (call.path === "/api/v1/orders/") return { status: 201, body: order({ id: 11, status: "pending" }) };
      if (call.path === "/api/v1/orders/11/create-payment/")
        return {
          status: 201,
          body: { order_id: 11, session_id: "cs_2", checkout_url: "https://checkout.test/cs_2" },
        };
      return { status: 404, body: {} };
    };
    visit("/basket");
    const pay = await screen().findByRole("button", { name: "Pay" });
    fireEvent.click(pay);
    fireEvent.click(pay);
    await waitFor(() => expect(visited).toEqual(["https://checkout.test/cs_2"]));
    expect(calls.filter((call) => call.path === "/api/v1/orders/").map((call) => call.body)).toEqual([
      {
        items: [
          { product_id: 3, quantity: 1 },
          { product_id: 4, quantity: 2 },
        ],
      },
    ]);
    expect(basketLines.value).toEqual([]);
  });

  test("a basket that no longer fits the stock says what is short, and the line learns how many are left", async () => {
    signIn("token-1", USER);
    basketLines.value = [
      { productId: 4, name: "Mug", price: "12.50", currency: "usd", quantity: 3, left: 3 },
    ];
    api = (call) =>
      call.path === "/api/v1/orders/"
        ? problem(409, "Not enough stock for this order; nothing was reserved. Mug: only 1 left.", {
            shortages: [{ product_id: 4, name: "Mug", left: 1 }],
          })
        : { status: 404, body: {} };
    visit("/basket");
    fireEvent.click(await screen().findByRole("button", { name: "Pay" }));
    expect(await screen().findByText(/Mug: only 1 left\./)).toBeDefined();
    expect(screen().getByText("Only 1 left")).toBeDefined();
    expect(basketLines.value[0]?.left).toBe(1);
    expect(visited).toEqual([]);
  });

  test("My orders lists every line of a basket", async () => {
    signIn("token-1", USER);
    const basket = order({
      items: [
        {
          product: { id: 3, name: "Pour-over Kettle", price: "49.99", currency: "usd" },
          quantity: 1,
          unit_price: "49.99",
          amount: "49.99",
        },
        {
          product: { id: 4, name: "Mug", price: "12.50", currency: "usd" },
          quantity: 2,
          unit_price: "12.50",
          amount: "25.00",
        },
      ],
    });
    api = (call) =>
      call.path.startsWith("/api/v1/orders/")
        ? { status: 200, body: page([basket]) }
        : { status: 404, body: {} };
    visit("/orders");
    expect(await screen().findByText(/2 × Mug/)).toBeDefined();
    expect(screen().getByText(/1 × Pour-over Kettle/)).toBeDefined();
  });
});

describe("payment result", () => {
  const confirmPath = "/api/v1/orders/42/confirm-payment/";

  test("paid, with the CRM already synced", async () => {
    signIn("token-1", USER);
    api = () => ({ status: 200, body: order() });
    visit("/orders/42/payment-result?session_id=cs_test_1");
    expect(await screen().findByText("Payment received — thank you!")).toBeDefined();
    expect(calls.find((call) => call.path === confirmPath)?.body).toEqual({ session_id: "cs_test_1" });
    expect(screen().getByTestId("order-status").textContent).toBe("Paid");
    expect(screen().getByTestId("recording").textContent).toBe("Your order is recorded.");
    expect(document.body.textContent).not.toContain("CRM");
  });

  test("back from Razorpay Checkout: its three fields are the confirmation, and Razorpay is named", async () => {
    signIn("token-1", USER);
    api = () => ({ status: 200, body: order() });
    const proof = {
      razorpay_payment_id: "pay_29QQoUBi66xm2f",
      razorpay_order_id: "order_Ez5G3JQ8Zk9bXy",
      razorpay_signature: "cd".repeat(32),
    };
    visit(`/orders/42/payment-result?${new URLSearchParams(proof)}`);
    expect(await screen().findByText("Payment received — thank you!")).toBeDefined();
    expect(calls.find((call) => call.path === confirmPath)?.body).toEqual(proof);
  });

  test("CRM pending, then success, by asking for the order again", async () => {
    signIn("token-1", USER);
    let polls = 0;
    api = (call) => {
      if (call.path === confirmPath) return { status: 200, body: order({ crm_sync_status: "pending" }) };
      polls++;
      return { status: 200, body: order({ crm_sync_status: polls < 2 ? "pending" : "success" }) };
    };
    visit("/orders/42/payment-result?session_id=cs_test_1");
    expect((await screen().findByTestId("recording")).textContent).toBe(
      "We are still recording your order — nothing for you to do.",
    );
    await waitFor(() =>
      expect(screen().getByTestId("recording").textContent).toBe("Your order is recorded."),
    );
    expect(calls.filter((call) => call.path === "/api/v1/orders/42/").length).toBe(2);
  });

  test("a CRM sync that failed is said in a customer's words, promising no retry, while the order stays paid", async () => {
    signIn("token-1", USER);
    api = () => ({ status: 200, body: order({ crm_sync_status: "failed" }) });
    visit("/orders/42/payment-result?session_id=cs_test_1");
    expect((await screen().findByTestId("recording")).textContent).toBe(
      "Recording your order is taking longer than usual — nothing for you to do, our team sees it.",
    );
    expect(document.body.textContent).not.toMatch(/CRM|retry/);
    expect(screen().getByTestId("order-status").textContent).toBe("Paid");
  });

  test("unpaid: says so and offers to pay", async () => {
    signIn("token-1", USER);
    api = (call) =>
      call.path === confirmPath
        ? problem(409, "The payment has not been completed.", { payment_status: "unpaid" })
        : { status: 200, body: order({ status: "pending", paid_at: null }) };
    visit("/orders/42/payment-result?session_id=cs_test_1");
    expect((await screen().findByRole("alert")).textContent).toContain("not paid yet");
    expect(screen().getByRole("button", { name: "Pay now" })).toBeDefined();
  });

  test("a pending order reached without a session says it is not paid, not that the request had invalid fields", async () => {
    signIn("token-1", USER);
    api = (call) =>
      call.path === confirmPath
        ? problem(400, "The request has invalid fields.")
        : { status: 200, body: order({ status: "pending", paid_at: null }) };
    visit("/orders/42/payment-result");
    const alert = await screen().findByRole("alert");
    expect(alert.textContent).toBe(
      "We have not received a payment for this order. Your order #42 is not paid yet.",
    );
    expect(screen().queryByRole("button", { name: "Try again" })).toBeNull();
  });

  test("a cancelled order says it was cancelled, with no retry that cannot work", async () => {
    signIn("token-1", USER);
    api = (call) =>
      call.path === confirmPath
        ? problem(400, "The request has invalid fields.")
        : { status: 200, body: order({ status: "cancelled", paid_at: null }) };
    visit("/orders/42/payment-result");
    expect((await screen().findByRole("alert")).textContent).toContain("Order #42 was cancelled");
    expect(screen().queryByRole("button", { name: /Try again|Pay now/ })).toBeNull();
  });

  test("an answer with nothing readable in it is said in words, without a status code", async () => {
    signIn("token-1", USER);
    api = () => ({ status: 502 });
    visit("/orders/42/payment-result?session_id=cs_test_1");
    const alert = await screen().findByRole("alert");
    expect(alert.textContent).toContain("The shop is not answering right now.");
    expect(alert.textContent).not.toContain("502");
  });

  test("an error from the server is shown with a way to try again", async () => {
    signIn("token-1", USER);
    let attempts = 0;
    api = () => {
      attempts++;
      return attempts === 1
        ? problem(503, "The payment provider cannot be reached right now.")
        : { status: 200, body: order() };
    };
    visit("/orders/42/payment-result?session_id=cs_test_1");
    expect((await screen().findByRole("alert")).textContent).toContain("cannot be reached");
    fireEvent.click(screen().getByRole("button", { name: "Try again" }));
    expect(await screen().findByText("Payment received — thank you!")).toBeDefined();
  });

  test("an order that is not the customer's offers the way to My orders, not a retry that cannot help", async () => {
    signIn("token-1", USER);
    api = () => problem(404, "No such order.");
    visit("/orders/42/payment-result?session_id=cs_test_1");
    expect((await screen().findByRole("alert")).textContent).toBe(
      "We could not find order #42 among your orders.",
    );
    expect(screen().queryByRole("button", { name: "Try again" })).toBeNull();
    expect(screen().getByRole("link", { name: "See all my orders" }).getAttribute("href")).toBe("/orders");
  });

  test("a cancelled payment offers to pay again", async () => {
    signIn("token-1", USER);
    api = () => ({
      status: 200,
      body: { order_id: 42, session_id: "cs_2", checkout_url: "https://checkout.test/cs_2", expires_at: "" },
    });
    visit("/orders/42/payment-cancelled");
    fireEvent.click(await screen().findByRole("button", { name: "Pay again" }));
    await waitFor(() => expect(visited).toEqual(["https://checkout.test/cs_2"]));
  });
});

describe("my orders and reports", () => {
  test("lists orders with their date in the shop's time zone and their payment, and unpaid ones can be paid", async () => {
    meta = { ...meta, time_zone: "Europe/Berlin" };
    signIn("token-1", USER);
    api = () => ({
      status: 200,
      body: page([order(), order({ id: 43, status: "pending", crm_sync_status: "pending" })]),
    });
    visit("/orders");
    const rows = await screen().findAllByRole("row");
    expect(rows).toHaveLength(3);
    expect(rows[0]?.textContent).not.toContain("CRM");
    // 10:00 UTC is 11:00 in Berlin in November.
    expect(rows[1]?.querySelector("time")?.textContent).toBe("Nov 24, 2026, 11:00 AM");
    expect(rows[2]?.textContent).toContain("Awaiting payment");
    expect(screen().getAllByRole("button", { name: "Pay now" })).toHaveLength(1);
  });

  test("says Partly refunded, Refunded and Cancelled in words", async () => {
    signIn("token-1", USER);
    api = () => ({
      status: 200,
      body: page([
        order({ id: 44, refunded_amount: "10.00" }),
        order({ id: 45, status: "refunded", refunded_amount: "99.98" }),
        order({ id: 46, status: "cancelled", paid_at: null, cancelled_at: "2026-11-24T11:00:00.000Z" }),
      ]),
    });
    visit("/orders");
    const rows = await screen().findAllByRole("row");
    expect(rows.slice(1).map((row) => within(row).getByText(/refunded|Cancelled/i).textContent)).toEqual([
      "Partly refunded",
      "Refunded",
      "Cancelled",
    ]);
    expect(screen().queryByRole("button", { name: "Cancel" })).toBeNull();
  });

  test("a pending order is cancelled after one more question, and its row says so", async () => {
    signIn("token-1", USER);
    const pending = order({ id: 43, status: "pending", paid_at: null, crm_sync_status: "pending" });
    api = (call) =>
      call.path === "/api/v1/orders/43/cancel/"
        ? { status: 200, body: { ...pending, status: "cancelled", cancelled_at: "2026-11-25T10:00:00.000Z" } }
        : { status: 200, body: page([pending]) };
    visit("/orders");
    fireEvent.click(await screen().findByRole("button", { name: "Cancel" }));
    expect(calls.some((call) => call.path === "/api/v1/orders/43/cancel/")).toBe(false);
    // The focus goes with the question, and comes back when it is answered.
    await waitFor(() => expect(document.activeElement?.textContent).toBe("Keep it"));
    fireEvent.click(screen().getByRole("button", { name: "Keep it" }));
    await waitFor(() => expect(document.activeElement?.textContent).toBe("Cancel"));
    fireEvent.click(screen().getByRole("button", { name: "Cancel" }));
    fireEvent.click(screen().getByRole("button", { name: "Cancel order #43" }));
    await waitFor(() => expect(screen().getAllByRole("row")[1]?.textContent).toContain("Cancelled"));
    await waitFor(() => expect(document.activeElement?.id).toBe("order-43-status"));
    expect(calls.filter((call) => call.path === "/api/v1/orders/43/cancel/")).toHaveLength(1);
    expect(screen().queryByRole("button", { name: "Pay now" })).toBeNull();
  });

  test("an order has a page of its own: its lines, when it was made and paid, and its refunds", async () => {
    signIn("token-1", USER);
    const refunded = order({
      refunded_amount: "10.00",
      refunds: [
        {
          id: "re_1",
          amount: "10.00",
          currency: "usd",
          status: "succeeded",
          reason: "requested_by_customer",
          created_at: "2026-11-25T09:30:00.000Z",
          crm_sync_status: "success",
          of_order_payment: true,
        },
      ],
    });
    api = (call) =>
      call.path === "/api/v1/orders/42/"
        ? { status: 200, body: refunded }
        : { status: 200, body: page([refunded]) };
    visit("/orders");
    fireEvent.click(await screen().findByRole("link", { name: "#42" }));
    expect(await screen().findByRole("heading", { name: "Order #42" })).toBeDefined();
    expect(document.title).toBe("Order #42 · Mini Shop");
    expect(await screen().findByTestId("order-status")).toBeDefined();
    const text = document.querySelector("main")?.textContent ?? "";
    for (const shown of [
      "2 × Pour-over Kettle",
      "Nov 24, 2026, 10:00 AM",
      "Nov 24, 2026, 10:01 AM",
      "Partly refunded",
    ])
      expect({ shown, found: text.includes(shown) }).toEqual({ shown, found: true });
    const refundRow = within(screen().getByRole("table")).getAllByRole("row")[1];
    expect(refundRow?.textContent).toContain("Nov 25, 2026, 9:30 AM");
    expect(refundRow?.textContent).toContain("$10.00");
    expect(refundRow?.textContent).toContain("Refunded");
  });

  test("a refused cancel (paid meanwhile) is said in the server's words", async () => {
    signIn("token-1", USER);
    const pending = order({ id: 43, status: "pending", paid_at: null, crm_sync_status: "pending" });
    api = (call) =>
      call.path === "/api/v1/orders/43/cancel/"
        ? problem(409, "The order was paid before it could be cancelled.")
        : { status: 200, body: page([pending]) };
    visit("/orders");
    fireEvent.click(await screen().findByRole("button", { name: "Cancel" }));
    fireEvent.click(screen().getByRole("button", { name: "Cancel order #43" }));
    expect(await screen().findByText("The order was paid before it could be cancelled.")).toBeDefined();
  });

  test("reports show the numbers of the customer's own orders, refunds and cancellations included, and say so", async () => {
    signIn("token-1", USER);
    api = () => ({
      status: 200,
      body: {
        total_orders: 6,
        total_revenue: "123.45",
        gross_revenue: "133.45",
        refunded_revenue: "10.00",
        paid_orders: 3,
        pending_orders: 2,
        cancelled_orders: 1,
        currency: "usd",
        scope: "customer",
      },
    });
    visit("/reports");
    expect((await screen().findByTestId("report-scope")).textContent).toBe("Figures for your own orders.");
    expect((await screen().findByTestId("total-orders")).textContent).toBe("6");
    expect(screen().getByTestId("cancelled-orders").textContent).toBe("1");
    expect(screen().getByTestId("refunded-revenue").textContent).toContain("10.00");
    expect(screen().getByTestId("paid-orders").textContent).toBe("3");
    expect(screen().getByTestId("pending-orders").textContent).toBe("2");
    expect(screen().getByTestId("total-revenue").textContent).toContain("123.45");
  });
});

describe("page titles and focus", () => {
  test("each page has its own title", () => {
    expect(
      ["/", "/basket", "/signin", "/orders", "/orders/7/payment-result", "/nowhere"].map(pageTitle),
    ).toEqual([
      "Products · Mini Shop",
      "Basket · Mini Shop",
      "Sign in · Mini Shop",
      "My orders · Mini Shop",
      "Payment · Mini Shop",
      "Page not found · Mini Shop",
    ]);
  });

  test("following a link sets the new page's title and puts the focus at the start of its content", async () => {
    api = () => ({ status: 200, body: page([]) });
    visit("/");
    await waitFor(() => expect(document.title).toBe("Products · Mini Shop"));
    fireEvent.click(screen().getByRole("link", { name: /Basket/ }));
    await waitFor(() => expect(document.title).toBe("Basket · Mini Shop"));
    expect(document.activeElement?.id).toBe("main");
  });
});
