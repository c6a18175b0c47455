/** The customer's side of a purchase over HTTP, step by step, so tests can stop the world between steps. */
export class Shopper {
  token = "";

  constructor(
    public apiUrl: string,
    readonly simulatorUrl: string,
  ) {}

  private async call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${this.apiUrl}/api/v1${path}`, {
      method,
      headers: {
        "Content-Type": "application/json",
        ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      path,
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      body: text ? JSON.parse(text) : {},
    };
  }

  async register(): Promise<void> {
    const result = await this.call("POST", "/auth/register/", {
      email: `shopper-${crypto.randomUUID().slice(0, 12)}@example.test`,
      password: "correct horse battery",
    });
    if (result.status !== 201) throw new Error(`register: ${result.status}`);
    this.token = result.body.token;
  }

  async order(productId: number) {
    return this.call("POST", "/orders/", { product_id: productId, quantity: 1 });
  }

  async createPayment(orderId: number) {
    return this.call("POST", `/orders/${orderId}/create-payment/`);
  }

  async pay(sessionId: string, webhook: boolean) {
    const response = await fetch(
      `${this.simulatorUrl}/__simulator/sessions/${sessionId}/pay?webhook=${webhook}`,
      { method: "POST" },
    );
    if (!response.ok) throw new Error(`simulator pay: ${response.status}`);
  }

  async confirm(orderId: number, sessionId?: string) {
    return this.call(
      "POST",
      `/orders/${orderId}/confirm-payment/`,
      sessionId ? { session_id: sessionId } : {},
    );
  }

  async refund(orderId: number, body: { amount?: string; reason?: string }) {
    return this.call("POST", `/orders/${orderId}/refunds/`, body);
  }

  async get(orderId: number) {
    return this.call("GET", `/orders/${orderId}/`);
  }

  async products() {
    return this.call("GET", "/products/?page=1&page_size=5");
  }

  async summary() {
    return this.call("GET", "/reports/summary/");
  }
}
