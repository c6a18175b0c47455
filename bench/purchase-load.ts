/**
 * Load for the whole purchase of a basket (JSON items), run as its own process: each worker loops create order ->
 * create-payment ->
 * pay on the Stripe simulator -> confirm-payment for the given time. Prints one JSON line of results.
 */
const [apiUrl, simulatorUrl, tokensJson, itemsJson, seconds, warmupSeconds] = process.argv.slice(2);
const tokens = JSON.parse(tokensJson as string) as string[];
const items = JSON.parse(itemsJson as string) as { product_id: number; quantity: number }[];
const latencies: number[] = [];
let errors = 0;
let non2xx = 0;
/** Every purchase completed, warm-up included: what the database's statement counter saw. */
let completed = 0;

async function call(url: string, token: string, body?: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    non2xx++;
    throw new Error(`${url}: ${response.status}`);
  }
  return response.json() as Promise<Record<string, unknown>>;
}

async function purchase(token: string): Promise<void> {
  const order = await call(`${apiUrl}/api/v1/orders/`, token, { items });
  const checkout = await call(`${apiUrl}/api/v1/orders/${order.id}/create-payment/`, token);
  const paid = await fetch(`${simulatorUrl}/__simulator/sessions/${checkout.session_id}/pay?webhook=false`, {
    method: "POST",
  });
  if (!paid.ok) throw new Error(`simulator pay: ${paid.status}`);
  await call(`${apiUrl}/api/v1/orders/${order.id}/confirm-payment/`, token, {
    session_id: checkout.session_id,
  });
}

async function worker(token: string, until: number, record: boolean): Promise<void> {
  while (performance.now() < until) {
    const started = performance.now();
    try {
      await purchase(token);
      completed++;
      if (record) latencies.push(performance.now() - started);
    } catch {
      if (record) errors++;
    }
  }
}

await Promise.all(
  tokens.map((token) => worker(token, performance.now() + Number(warmupSeconds) * 1000, false)),
);
non2xx = 0;
const started = performance.now();
await Promise.all(tokens.map((token) => worker(token, started + Number(seconds) * 1000, true)));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (share: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * share))] ?? 0;
console.log(
  JSON.stringify({
    rps: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    errors,
    non2xx,
    total: latencies.length,
    completed,
  }),
);

export {};
