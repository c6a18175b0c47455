import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
/**
 * A local CRM that answers like DummyJSON's POST /posts/add: it needs a numeric userId of one of its users
 * (1-208, else 400 "User id is required" / 404), keeps only title, body, userId, tags and reactions, and
 * answers 201 with a new id. Tests switch it into failure modes and read its log of received posts.
 */
export type CrmMode = "ok" | "error500" | "error400" | "slow" | "hang" | "garbage";

export interface ReceivedPost {
  body: Record<string, unknown>;
  idempotencyKey: string | null;
  status: number;
  /** Date.now() when the post arrived. */
  receivedAt: number;
}

export interface CrmStandIn {
  url: string;
  received: ReceivedPost[];
  mode: CrmMode;
  /** Share of requests (0..1) that fail with 500 at random while mode is "ok". */
  failureRate: number;
  slowMs: number;
  /** Runs as a post is about to be answered 201 (a test freezes the shop's database at that moment). */
  beforeSuccess?: () => void;
  postsFor(orderId: number): ReceivedPost[];
  stop(): Promise<void>;
}

const KEPT_FIELDS = ["title", "body", "userId", "tags", "reactions"];
const FIRST_NEW_ID = 252;

/**
 * With `stateFile`, the next reference number is kept there across restarts (`bun run dev` keeps it beside the
 * development database), so a reference is never handed out twice.
 */
export function startCrmStandIn(options: { port?: number; stateFile?: string } = {}): CrmStandIn {
  const { stateFile } = options;
  let nextId =
    stateFile && existsSync(stateFile)
      ? (JSON.parse(readFileSync(stateFile, "utf8")) as { nextId: number }).nextId
      : FIRST_NEW_ID;
  const takeId = () => {
    const id = nextId++;
    if (stateFile) {
      mkdirSync(dirname(stateFile), { recursive: true });
      writeFileSync(stateFile, JSON.stringify({ nextId }));
    }
    return id;
  };
  const hangs = new Set<() => void>();
  const state: CrmStandIn = {
    url: "",
    received: [],
    mode: "ok",
    failureRate: 0,
    slowMs: 2000,
    postsFor: (orderId) => state.received.filter((post) => post.body.order_id === orderId),
    stop: async () => {
      for (const release of hangs) release();
      server.stop(true);
    },
  };

  const answer = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (request.method !== "POST" || url.pathname !== "/posts/add") {
      return Response.json({ message: `Route ${url.pathname} not found` }, { status: 404 });
    }
    let body: Record<string, unknown>;
    try {
      body = (await request.json()) as Record<string, unknown>;
    } catch {
      return Response.json({ message: "Invalid JSON" }, { status: 400 });
    }
    const receivedAt = Date.now();
    const record = (status: number) => {
      state.received.push({
        body,
        idempotencyKey: request.headers.get("Idempotency-Key"),
        status,
        receivedAt,
      });
    };
    switch (state.mode) {
      case "error500":
        record(500);
        return Response.json({ message: "Internal Server Error" }, { status: 500 });
      case "error400":
        record(400);
        return Response.json({ message: "Bad Request" }, { status: 400 });
      case "garbage":
        record(200);
        return new Response("<html>not json", { status: 200, headers: { "Content-Type": "text/html" } });
      case "hang":
        record(0);
        await new Promise<void>((resolve) => hangs.add(resolve));
        return new Response(null, { status: 503 });
      case "slow":
        await new Promise((resolve) => setTimeout(resolve, state.slowMs));
        break;
      default:
        if (Math.random() < state.failureRate) {
          record(500);
          return Response.json({ message: "Random failure" }, { status: 500 });
        }
    }
    const userId = body.userId;
    if (typeof userId !== "number" || !Number.isInteger(userId)) {
      record(400);
      return Response.json({ message: "User id is required" }, { status: 400 });
    }
    if (userId < 1 || userId > 208) {
      record(404);
      return Response.json({ message: `User with id '${userId}' not found` }, { status: 404 });
    }
    state.beforeSuccess?.();
    record(201);
    const kept = Object.fromEntries(Object.entries(body).filter(([key]) => KEPT_FIELDS.includes(key)));
    return Response.json({ id: takeId(), ...kept }, { status: 201 });
  };

  const server = Bun.serve({ port: options.port ?? 0, hostname: "127.0.0.1", fetch: answer, idleTimeout: 0 });
  state.url = `http://127.0.0.1:${server.port}/posts/add`;
  return state;
}
