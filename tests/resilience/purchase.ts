import { hc } from "hono/client";
import type { Store } from "../../db/store.ts";
import type { Api } from "../../server/app.ts";
import { bunPasswordHasher } from "../../server/runtime/passwords.ts";

/** What a step answered; the body is the parsed JSON, loosely typed, because the tests also look at problems. */
export interface StepResult {
  path: string;
  status: number;
  contentType: string;
  // biome-ignore lint/suspicious/noExplicitAny: success and problem bodies alike, read field by field by the tests
  body: any;
}

/**
 * The customer's side of a purchase over HTTP, step by step, so tests can stop the world between steps. Requests go
 * through the typed client, so a route or body that changes breaks the typecheck here too.
 */
export class Shopper {
  token = "";

  constructor(
    public apiUrl: string,
    readonly simulatorUrl: string,
  ) {}

  private get api() {
    return hc<Api>(`${this.apiUrl}/api/v1`, {
      headers: (): Record<string, string> => (this.token ? { Authorization: `Bearer ${this.token}` } : {}),
    });
  }

  private async step(
    path: string,
    answer: Promise<{ status: number; headers: Headers; text(): Promise<string> }>,
  ): Promise<StepResult> {
    const response = await answer;
    const text = await response.text();
    return {
      path,
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      body: text ? JSON.parse(text) : {},
    };
  }

  /** Becomes a new admin of the shop (written in `store`) and signs in as them. */
  async signInAsNewAdmin(store: Pick<Store, "createUser">): Promise<void> {
    const credentials = {
      email: `admin-${crypto.randomUUID().slice(0, 8)}@example.test`,
      password: "admin password 1",
    };
    await store.createUser({
      ...credentials,
      name: "",
      passwordHash: await bunPasswordHasher.hash(credentials.password),
      role: "admin",
    });
    const result = await this.step("POST /auth/login", this.api.auth.login.$post({ json: credentials }));
    if (result.status !== 200) throw new Error(`admin sign-in: ${result.status}`);
    this.token = result.body.token;
  }

  async register(): Promise<void> {
    const result = await this.step(
      "POST /auth/register",
      this.api.auth.register.$post({
        json: {
          email: `shopper-${crypto.randomUUID().slice(0, 12)}@example.test`,
          password: "correct horse battery",
        },
      }),
    );
    if (result.status !== 201) throw new Error(`register: ${result.status}`);
    this.token = result.body.token;
  }

  order(productId: number) {
    return this.step("POST /orders", this.api.orders.$post({ json: { product_id: productId, quantity: 1 } }));
  }

  cancel(orderId: number) {
    return this.step(
      "POST /orders/:id/cancel",
      this.api.orders[":id"].cancel.$post({ param: { id: String(orderId) } }),
    );
  }

  createPayment(orderId: number) {
    return this.step(
      "POST /orders/:id/create-payment",
      this.api.orders[":id"]["create-payment"].$post({ param: { id: String(orderId) } }),
    );
  }

  async pay(sessionId: string, webhook: boolean) {
    const response = await fetch(
      `${this.simulatorUrl}/__simulator/sessions/${sessionId}/pay?webhook=${webhook}`,
      { method: "POST" },
    );
    if (!response.ok) throw new Error(`simulator pay: ${response.status}`);
  }

  confirm(orderId: number, sessionId?: string) {
    return this.step(
      "POST /orders/:id/confirm-payment",
      this.api.orders[":id"]["confirm-payment"].$post({
        param: { id: String(orderId) },
        json: sessionId ? { session_id: sessionId } : {},
      }),
    );
  }

  refund(
    orderId: number,
    body: { amount?: string; reason?: "requested_by_customer" | "duplicate" | "fraudulent" },
  ) {
    return this.step(
      "POST /orders/:id/refunds",
      this.api.orders[":id"].refunds.$post({ param: { id: String(orderId) }, json: body }),
    );
  }

  get(orderId: number) {
    return this.step("GET /orders/:id", this.api.orders[":id"].$get({ param: { id: String(orderId) } }));
  }

  products() {
    return this.step("GET /products", this.api.products.$get({ query: { page: "1", page_size: "5" } }));
  }

  summary() {
    return this.step("GET /reports/summary", this.api.reports.summary.$get());
  }
}
