import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  answerFastMutation,
  answerFastQuery,
  appRouter,
  type Context,
  errorIdOf,
  type Services,
} from "@specsync/api";
import { allowedHostsFor } from "@specsync/settings";
import type { TRPCError } from "@trpc/server";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { CLI_ENDPOINT, handleCliRequest } from "./cli-endpoint";
import { createMcpHttpHandler, type McpHttpOptions } from "./mcp-http";
import { createRequestGuard, type GuardLimits, type Verdict } from "./request-guard";

export type HttpOptions = {
  services: Services;
  token: string | null;
  /** Origins allowed by CORS and the Origin check (the web app). */
  allowedOrigins: readonly string[];
  /** Host names besides loopback (SPECSYNC_ALLOWED_HOSTS). */
  allowedHosts?: readonly string[];
  /** The address the server binds (a specific address is an allowed Host too). */
  bindHost?: string;
  limits?: Partial<GuardLimits>;
  /** MCP session limits (defaults: 1000 sessions, 1 h idle, 5 min for unused ones). */
  mcp?: McpHttpOptions;
};

/** Calls per batched tRPC request: a 1,000-call batch in one URL cost 9 s of server work. */
export const MAX_BATCH_SIZE = 25;
const SUBSCRIPTION_PATHS = new Set(["/trpc/sync.events"]);

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res
    .writeHead(status, { "content-type": "application/json", "cache-control": "no-store" })
    .end(JSON.stringify(body));
}

/**
 * The HTTP surface: tRPC at /trpc (SSE for subscriptions), MCP (Streamable HTTP) at /mcp, GET
 * /healthz and POST /auth/sse-ticket.
 * Every request passes the request guard first (request-guard.ts); a new route is added below the
 * `admit` call and so gets the Host, Origin, token and body checks with nothing else to do.
 */
export function createHttpServer(opts: HttpOptions): Server {
  let server: Server;
  const guard = createRequestGuard({
    token: opts.token,
    allowedHosts: allowedHostsFor(opts.bindHost ?? "127.0.0.1", opts.allowedHosts ?? []),
    allowedOrigins: opts.allowedOrigins,
    port: () => (server.address() as AddressInfo | null)?.port ?? 0,
    publicPaths: ["/healthz"],
    ticketPaths: (p) => SUBSCRIPTION_PATHS.has(p),
    ...(opts.limits ? { limits: opts.limits } : {}),
  });
  const contextOf = (req: IncomingMessage): Context => {
    const actorHeader = req.headers["x-specsync-actor"];
    return {
      services: opts.services,
      requiredToken: opts.token,
      // The guard checked the header (or the SSE ticket) before the body was read.
      presentedToken: guard.verdictOf(req)?.authenticated ? opts.token : null,
      actor: typeof actorHeader === "string" ? actorHeader.slice(0, 200) : null,
    };
  };
  const onError = ({ error, path }: { error: TRPCError; path?: string | undefined }) => {
    if (error.code === "INTERNAL_SERVER_ERROR")
      console.error(
        `[specsync] error ${errorIdOf(error)} in ${path ?? "?"}:`,
        error.cause ?? error,
      );
  };
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: ({ req }) => contextOf(req),
    onError,
  });

  const mcp = createMcpHttpHandler(opts.services, opts.mcp);

  server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let verdict: Verdict | null;
    try {
      verdict = await guard.admit(req, res);
    } catch (err) {
      console.error(`[specsync] request refused: ${(err as Error).message}`);
      if (!res.headersSent)
        sendJson(res, 400, { error: { code: "BAD_REQUEST", message: "bad request" } });
      else res.end();
      return;
    }
    if (!verdict) return;
    const { pathname } = verdict.url;
    if (pathname === "/healthz") {
      const body = await health(opts.services);
      // Paths, project ids and error texts are for authenticated callers only.
      sendJson(res, body.ok ? 200 : 503, verdict.authenticated ? body : { ok: body.ok });
      return;
    }
    if (pathname === "/auth/sse-ticket" && req.method === "POST") {
      sendJson(res, 200, guard.issueTicket());
      return;
    }
    if (pathname.startsWith(CLI_ENDPOINT)) {
      // The guard has checked Host and the token; the endpoint re-checks the token it is handed.
      await handleCliRequest(
        req,
        res,
        verdict.url,
        opts.services,
        opts.token,
        verdict.authenticated ? opts.token : null,
      ).catch((err: Error) => {
        console.error(`[specsync] cli endpoint: ${err.message}`);
        if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      });
      return;
    }
    if (pathname.startsWith("/trpc/")) {
      if (req.method === "GET" && (await fastQuery(req, res, verdict.url, contextOf(req)))) return;
      if (
        req.method === "POST" &&
        (await fastMutation(req, res, verdict.url, contextOf(req), onError))
      )
        return;
      trpc(req, res);
      return;
    }
    if (pathname === "/mcp") {
      // Host, Origin, token and body were checked by the guard; the handler keeps the MCP sessions.
      await mcp.handle(req, res);
      return;
    }
    sendJson(res, 404, { error: "not found" });
  });
  server.on("close", () => void mcp.close());
  return server;
}

/**
 * A hot read query (the list views) answered without tRPC's fetch adapter, with the bytes tRPC's
 * handler would send (`answerFastQuery`); false: hand the request to tRPC.
 */
async function fastQuery(req: IncomingMessage, res: ServerResponse, url: URL, ctx: Context) {
  const accept = req.headers["trpc-accept"];
  let path: string;
  try {
    path = decodeURIComponent(url.pathname.slice("/trpc/".length));
  } catch {
    return false;
  }
  const body = await answerFastQuery(
    path,
    url.searchParams,
    typeof accept === "string" ? accept : undefined,
    ctx,
  );
  if (!body) return false;
  // Through setHeader, as tRPC's adapter sets them (the guard merges `Vary`).
  res.setHeader("vary", "trpc-accept, accept");
  res.setHeader("content-type", "application/json");
  res.setHeader("content-length", body.length);
  res.statusCode = 200;
  res.end(body);
  return true;
}

/**
 * A hot mutation (a save, `next_work`) answered without tRPC's fetch adapter, with the bytes and
 * status tRPC's handler would send (`answerFastMutation`); false: hand the request to tRPC, which
 * happens only before the procedure ran.
 */
async function fastMutation(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: Context,
  onError: Parameters<typeof answerFastMutation>[3],
) {
  // What the typed client's httpLink sends: unbatched, JSON, no streaming accept header. The guard
  // has read the body (size, UTF-8, depth checked) into `req.body`.
  const body = (req as IncomingMessage & { body?: unknown }).body;
  if (
    url.search !== "" ||
    typeof body !== "string" ||
    req.headers["trpc-accept"] !== undefined ||
    !req.headers["content-type"]?.startsWith("application/json")
  )
    return false;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname.slice("/trpc/".length));
  } catch {
    return false;
  }
  const answer = await answerFastMutation(path, body, ctx, onError);
  if (!answer) return false;
  // Through setHeader, as tRPC's adapter sets them (the guard merges `Vary`).
  res.setHeader("vary", "trpc-accept, accept");
  res.setHeader("content-type", "application/json");
  res.setHeader("content-length", answer.body.length);
  res.statusCode = answer.status;
  res.end(answer.body);
  return true;
}

async function health(services: Services) {
  let db: { ok: boolean; driver: string; error?: string } = {
    ok: true,
    driver: services.database.driver,
  };
  try {
    await services.database.query("select 1");
  } catch (err) {
    db = { ok: false, driver: services.database.driver, error: (err as Error).message };
  }
  const projects = services.runtime
    .state()
    .map((p) => ({ ...p, ok: p.watcher.state === "watching" || p.watcher.state === "polling" }));
  return { ok: db.ok && projects.every((p) => p.ok), db, projects };
}
