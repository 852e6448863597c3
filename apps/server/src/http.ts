import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { appRouter, type Context, type Services } from "@specsync/api";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { createMcpHttpHandler } from "./mcp-http";

export type HttpOptions = {
  services: Services;
  token: string | null;
  /** Origins allowed by CORS (the web app). */
  allowedOrigins: readonly string[];
};

const MAX_BODY_BYTES = 8 * 1024 * 1024; // 1 MiB of content, JSON-escaped, with headroom

function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  return h?.startsWith("Bearer ") ? h.slice(7).trim() : null;
}

/** Same rule as the tRPC procedures: when a token is configured, the bearer must match (constant time). */
function tokenOk(required: string | null, presented: string | null): boolean {
  if (!required) return true;
  if (!presented) return false;
  const a = createHash("sha256").update(required).digest();
  const b = createHash("sha256").update(presented).digest();
  return timingSafeEqual(a, b);
}

/** The HTTP surface: tRPC at /trpc (SSE for subscriptions), MCP (Streamable HTTP) at /mcp, and GET /healthz. */
export function createHttpServer(opts: HttpOptions): Server {
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    maxBodySize: MAX_BODY_BYTES,
    createContext: ({ req, info }): Context => {
      const params = info.connectionParams as { token?: unknown } | null;
      const actorHeader = req.headers["x-specsync-actor"];
      return {
        services: opts.services,
        requiredToken: opts.token,
        presentedToken: bearer(req) ?? (typeof params?.token === "string" ? params.token : null),
        actor: typeof actorHeader === "string" ? actorHeader.slice(0, 200) : null,
      };
    },
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`[specsync] ${path ?? "?"}: ${error.message}`);
    },
  });

  const mcp = createMcpHttpHandler(opts.services);

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    if (origin && opts.allowedOrigins.includes(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "origin");
      res.setHeader("access-control-allow-headers", "authorization, content-type, x-specsync-actor, trpc-accept, last-event-id, mcp-session-id, mcp-protocol-version");
      res.setHeader("access-control-expose-headers", "mcp-session-id");
      res.setHeader("access-control-allow-methods", "GET, POST, DELETE, OPTIONS");
    }
    if (req.method === "OPTIONS") {
      res.writeHead(origin && opts.allowedOrigins.includes(origin) ? 204 : 403).end();
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/healthz") {
      const body = await health(opts.services);
      res.writeHead(body.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(body));
      return;
    }
    if (url.pathname.startsWith("/trpc/")) {
      trpc(req, res);
      return;
    }
    if (url.pathname === "/mcp") {
      // A browser page from another origin must not drive the agent API (DNS rebinding); the token rule is /trpc's.
      if (origin && !opts.allowedOrigins.includes(origin)) {
        res.writeHead(403, { "content-type": "application/json" }).end(JSON.stringify({ error: `origin ${origin} is not allowed` }));
        return;
      }
      if (!tokenOk(opts.token, bearer(req))) {
        res.writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" }).end(JSON.stringify({ error: "missing or wrong bearer token (Authorization: Bearer <SPECSYNC_TOKEN>)" }));
        return;
      }
      await mcp.handle(req, res);
      return;
    }
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
  });
  server.on("close", () => void mcp.close());
  return server;
}

async function health(services: Services) {
  let db: { ok: boolean; driver: string; error?: string } = { ok: true, driver: services.database.driver };
  try {
    await services.database.query("select 1");
  } catch (err) {
    db = { ok: false, driver: services.database.driver, error: (err as Error).message };
  }
  const projects = services.runtime.state().map((p) => ({ ...p, ok: p.watcher.state === "watching" || p.watcher.state === "polling" }));
  return { ok: db.ok && projects.every((p) => p.ok), db, projects };
}
