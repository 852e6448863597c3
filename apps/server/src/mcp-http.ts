import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Services } from "@specsync/api";
import { createMcpServer } from "@specsync/api/mcp";

export type McpHttpOptions = {
  /** Open sessions kept at most; a new one past it closes the least recently used. */
  maxSessions?: number;
  /**
   * Sessions nobody has used for this long are closed (clients rarely send DELETE when they go
   * away).
   */
  idleMs?: number;
  /** The same for sessions that made no request after their handshake (a crashed or bare client). */
  unusedIdleMs?: number;
};

const jsonRpcError = (res: ServerResponse, status: number, code: number, message: string) =>
  res
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));

const methodOf = (msg: unknown) => (msg as { method?: unknown } | null | undefined)?.method;
/** An initialize request (alone or in a batch): the only message that may open a session. */
const opensSession = (body: unknown) =>
  Array.isArray(body)
    ? body.some((m) => methodOf(m) === "initialize")
    : methodOf(body) === "initialize";
/**
 * Does this request make its session "used"? A POSTed message does, but the handshake's second
 * one (`notifications/initialized`). A GET (the standing notification stream the SDK client opens
 * right after its handshake) or DELETE carries no body and does not: else a flood of clients that
 * connect and never call would count as in use and evict a live session (outside-test F7).
 */
const makesUsed = (body: unknown) =>
  body !== undefined && methodOf(body) !== "notifications/initialized";

/**
 * MCP over Streamable HTTP at /mcp: one McpServer and transport per session (the `mcp-session-id`
 * header), so a client's GET stream receives its list_changed notifications. Sessions live in this
 * process: behind a load balancer, keep a client on one server.
 */
export function createMcpHttpHandler(services: Services, opts: McpHttpOptions = {}) {
  const maxSessions = opts.maxSessions ?? 1000;
  const idleMs = opts.idleMs ?? 60 * 60 * 1000;
  const unusedIdleMs = opts.unusedIdleMs ?? 5 * 60 * 1000;
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  // Both in least-recently-used order (a use moves a session to the end), so eviction is O(1).
  const lastSeen = new Map<string, number>();
  const unused = new Set<string>();
  const touch = (sid: string, body: unknown) => {
    lastSeen.delete(sid);
    lastSeen.set(sid, Date.now());
    if (makesUsed(body)) unused.delete(sid);
  };
  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [sid, at] of lastSeen)
        if (at < now - (unused.has(sid) ? unusedIdleMs : idleMs)) void sessions.get(sid)?.close();
    },
    Math.min(60_000, unusedIdleMs),
  );
  sweep.unref();
  /**
   * Make room for one more session: a full table must not lock new clients out for the idle time,
   * so the least recently used session goes, one that never did anything after its handshake
   * first. Synchronous, so concurrent initializes never overshoot the limit.
   */
  const makeRoom = () => {
    while (sessions.size >= maxSessions) {
      const sid = unused.values().next().value ?? lastSeen.keys().next().value;
      if (sid === undefined) return;
      const t = sessions.get(sid);
      forget(sid);
      void t?.close().catch(() => {});
    }
  };
  const forget = (sid: string) => {
    sessions.delete(sid);
    lastSeen.delete(sid);
    unused.delete(sid);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // The request guard has already read and checked the body (req.body, JSON text): hand it on
    // parsed.
    const text = (req as IncomingMessage & { body?: string }).body;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return jsonRpcError(res, 400, -32700, "parse error: the body is not JSON");
    }
    const id = req.headers["mcp-session-id"];
    const existing = typeof id === "string" ? sessions.get(id) : undefined;
    if (existing && typeof id === "string") {
      touch(id, body);
      return existing.handleRequest(req, res, body);
    }
    if (typeof id === "string")
      return jsonRpcError(res, 404, -32001, "unknown or expired MCP session; initialize again");
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      return jsonRpcError(res, 405, -32000, "start a session with an initialize POST");
    }
    // Anything but an initialize without a session opens nothing (and evicts nobody).
    if (!opensSession(body))
      return jsonRpcError(res, 400, -32000, "start a session with an initialize POST");
    const server = createMcpServer(services, { log: (m) => console.error(`[specsync] mcp: ${m}`) });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => {
        makeRoom();
        sessions.set(sid, transport);
        lastSeen.set(sid, Date.now());
        unused.add(sid);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) forget(transport.sessionId);
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
        if (!res.headersSent) jsonRpcError(res, 500, -32603, "internal error");
      }),
    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map((t) => t.close().catch(() => {})));
      sessions.clear();
    },
  };
}
