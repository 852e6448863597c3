import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Services } from "@specsync/api";
import { createMcpServer } from "@specsync/api/mcp";

const MAX_SESSIONS = 1000;
/**
 * Sessions nobody has used for this long are closed (clients rarely send DELETE when they go
 * away).
 */
const IDLE_MS = 60 * 60 * 1000;

/**
 * MCP over Streamable HTTP at /mcp: one McpServer and transport per session (the `mcp-session-id`
 * header), so a client's GET stream receives its list_changed notifications. Sessions live in this
 * process: behind a load balancer, keep a client on one server.
 */
export function createMcpHttpHandler(services: Services) {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const lastSeen = new Map<string, number>();
  const sweep = setInterval(() => {
    const cutoff = Date.now() - IDLE_MS;
    for (const [sid, at] of lastSeen) if (at < cutoff) void sessions.get(sid)?.close();
  }, 60_000);
  sweep.unref();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // The request guard has already read and checked the body (req.body, JSON text): hand it on
    // parsed.
    const text = (req as IncomingMessage & { body?: string }).body;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      res.writeHead(400, { "content-type": "application/json" }).end(
        JSON.stringify({
          jsonrpc: "2.0",
          error: { code: -32700, message: "parse error: the body is not JSON" },
          id: null,
        }),
      );
      return;
    }
    const id = req.headers["mcp-session-id"];
    const existing = typeof id === "string" ? sessions.get(id) : undefined;
    if (existing) {
      lastSeen.set(id as string, Date.now());
      return existing.handleRequest(req, res, body);
    }
    if (typeof id === "string") {
      res.writeHead(404, { "content-type": "application/json" }).end(
        JSON.stringify({
          jsonrpc: "2.0",
          error: { code: -32001, message: "unknown or expired MCP session; initialize again" },
          id: null,
        }),
      );
      return;
    }
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST", "content-type": "application/json" }).end(
        JSON.stringify({
          jsonrpc: "2.0",
          error: { code: -32000, message: "start a session with an initialize POST" },
          id: null,
        }),
      );
      return;
    }
    if (sessions.size >= MAX_SESSIONS) {
      res.writeHead(503, { "content-type": "application/json" }).end(
        JSON.stringify({
          jsonrpc: "2.0",
          error: { code: -32000, message: "too many MCP sessions" },
          id: null,
        }),
      );
      return;
    }
    const server = createMcpServer(services, { log: (m) => console.error(`[specsync] mcp: ${m}`) });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => {
        sessions.set(sid, transport);
        lastSeen.set(sid, Date.now());
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) {
        sessions.delete(transport.sessionId);
        lastSeen.delete(transport.sessionId);
      }
      void server.close();
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    // A first request that did not initialize a session leaves nothing behind.
    if (!transport.sessionId) await server.close();
  };

  return {
    handle: (req: IncomingMessage, res: ServerResponse) =>
      handle(req, res).catch((err: unknown) => {
        console.error(`[specsync] mcp: ${(err as Error).message}`);
        if (!res.headersSent)
          res.writeHead(500, { "content-type": "application/json" }).end(
            JSON.stringify({
              jsonrpc: "2.0",
              error: { code: -32603, message: "internal error" },
              id: null,
            }),
          );
      }),
    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map((t) => t.close().catch(() => {})));
      sessions.clear();
    },
  };
}
