import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { PaymentIntent, Refund } from "./refunds.ts";
import type { CheckoutSession } from "./sessions.ts";

/**
 * What the simulator keeps across restarts (SimulatorOptions.stateFile): sessions, payment intents, refunds and
 * Idempotency-Key replays, as one JSON file. A payment intent's refunds are saved as ids and joined again on load,
 * so each refund stays one object shared by both maps.
 */
export interface SimulatorState {
  sessions: Map<string, CheckoutSession>;
  intents: Map<string, PaymentIntent>;
  refunds: Map<string, Refund>;
  idempotency: Map<string, { request: string; status: number; body: unknown }>;
}

export function saveState(file: string, state: SimulatorState): void {
  const json = JSON.stringify({
    sessions: [...state.sessions.values()],
    intents: [...state.intents.values()].map((intent) => ({
      ...intent,
      refunds: intent.refunds.map((refund) => refund.id),
    })),
    refunds: [...state.refunds.values()],
    idempotency: [...state.idempotency.entries()],
  });
  mkdirSync(dirname(file), { recursive: true });
  // Whole or not at all: a stop in the middle of a write leaves the previous state.
  writeFileSync(`${file}.tmp`, json);
  renameSync(`${file}.tmp`, file);
}

export function loadState(file: string, state: SimulatorState): void {
  if (!existsSync(file)) return;
  const saved = JSON.parse(readFileSync(file, "utf8")) as {
    sessions: CheckoutSession[];
    intents: (Omit<PaymentIntent, "refunds"> & { refunds: string[] })[];
    refunds: Refund[];
    idempotency: [string, { request: string; status: number; body: unknown }][];
  };
  for (const session of saved.sessions) state.sessions.set(session.id, session);
  for (const refund of saved.refunds) state.refunds.set(refund.id, refund);
  for (const intent of saved.intents)
    state.intents.set(intent.id, {
      ...intent,
      refunds: intent.refunds.flatMap((id) => state.refunds.get(id) ?? []),
    });
  for (const [key, replay] of saved.idempotency) state.idempotency.set(key, replay);
}
