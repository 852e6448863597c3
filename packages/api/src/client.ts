import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
} from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "./router";

export type { AppRouter };
export type SpecsyncClient = TRPCClient<AppRouter>;

export type ClientOptions = {
  /** Base URL of the server, e.g. http://127.0.0.1:3100 (the client adds /trpc). */
  url: string;
  /** SPECSYNC_TOKEN, when the server requires one. */
  token?: string | undefined;
  /** Name recorded in history for edits made through this client. */
  actor?: string | undefined;
  /**
   * EventSource implementation where there is no global one (Node 20: the `eventsource`
   * package).
   */
  EventSource?: typeof globalThis.EventSource;
};

/**
 * Typed client for scripts and the web app: batched HTTP for queries, one request per mutation,
 * SSE for `sync.events`.
 */
export function createSpecsyncClient(opts: ClientOptions): SpecsyncClient {
  const base = opts.url.replace(/\/$/, "");
  const url = `${base}/trpc`;
  const token = opts.token;
  const headers = () => ({
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    ...(opts.actor ? { "x-specsync-actor": opts.actor } : {}),
  });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          // EventSource cannot send headers, and the token must not travel in a URL: a short-lived
          // ticket, fetched with the header for each connection, goes in the connection parameters.
          ...(token
            ? { connectionParams: async () => ({ ticket: await sseTicket(base, token) }) }
            : {}),
          ...(opts.EventSource ? { EventSource: opts.EventSource } : {}),
        }),
        false: splitLink({
          // A batch waits a timer tick (>= 1 ms in Node) for company; a save should not.
          condition: (op) => op.type === "mutation",
          true: httpLink({ url, transformer: superjson, headers }),
          // The server refuses batches of more than 25 calls (apps/server/src/http.ts
          // MAX_BATCH_SIZE): split bigger ones.
          false: httpBatchLink({ url, transformer: superjson, headers, maxItems: 25 }),
        }),
      }),
    ],
  });
}

/**
 * A ticket that opens one SSE connection (valid a few minutes), minted by the server for the
 * bearer token.
 */
export async function sseTicket(baseUrl: string, token: string): Promise<string> {
  const res = await fetch(`${baseUrl.replace(/\/$/, "")}/auth/sse-ticket`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: "{}",
  });
  if (!res.ok) throw new Error(`could not get a live-events ticket: HTTP ${res.status}`);
  return ((await res.json()) as { ticket: string }).ticket;
}
