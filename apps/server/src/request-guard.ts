import { createHmac, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isAllowedHost, MISDIRECTED_MESSAGE, requestHost, sameSecret } from "@specsync/settings";
import { BodyRefused, checkJsonText, readBodyText } from "./request-body";
import { tooDeepAnswer } from "./stdio-utf8";

/**
 * The one gate in front of every HTTP route (`/trpc`, SSE, `/healthz`, `/auth/sse-ticket` and any
 * route added later: a route gets the guard by being dispatched after `admit()` in http.ts). In
 * order:
 *
 *  1. URL length cap (414).
 *  2. Host allow-list (`isAllowedHost` of @specsync/settings, shared with the web port's proxy):
 *     loopback names on our port, the address we bind and SPECSYNC_ALLOWED_HOSTS pass (421). The
 *     host is an absolute-form target's authority when there is one (`requestHost`), else `Host`.
 *  3. Origin: absent (CLI, scripts) or one of SPECSYNC_WEB_ORIGIN, on every method (403 otherwise)
 * —     checked here, not left to the browser's CORS enforcement. Preflights are answered here.
 *  4. Token (when SPECSYNC_TOKEN is set), from the Authorization header only, before any body byte
 * is     read (401). Where a route allows it (SSE, which cannot send headers), a short-lived ticket
 * minted     with the header stands in: `connectionParams={"ticket":"…"}`. Public routes pass
 * unauthenticated     and decide what to show.
 *  5. Bodies: `application/json` only (415), size cap (413), strict UTF-8 (400), nesting depth and
 * lone     surrogates checked by a linear scan before JSON.parse (400). The text is handed on as
 * `req.body`.
 *
 * It also merges `Vary` headers, so tRPC's `Vary: trpc-accept, accept` does not erase `Vary:
 * origin`.
 */
export type GuardOptions = {
  token: string | null;
  /**
   * Extra host names (SPECSYNC_ALLOWED_HOSTS, plus a non-wildcard bind address); `name` or
   * `name:port`.
   */
  allowedHosts: readonly string[];
  /** SPECSYNC_WEB_ORIGIN. */
  allowedOrigins: readonly string[];
  /** The port the server listens on (known only after listen() when PORT=0). */
  port: () => number;
  /** Paths answered without the token (they show less to unauthenticated callers). */
  publicPaths?: readonly string[];
  /** Paths where an SSE ticket may replace the Authorization header (GET only). */
  ticketPaths?: (pathname: string) => boolean;
  limits?: Partial<GuardLimits>;
};

export type GuardLimits = {
  maxUrlLength: number;
  maxBodyBytes: number;
  maxJsonDepth: number;
  ticketTtlMs: number;
};

export const DEFAULT_LIMITS: GuardLimits = {
  maxUrlLength: 8 * 1024,
  maxBodyBytes: 8 * 1024 * 1024, // 1 MiB of file content, JSON-escaped, with headroom
  maxJsonDepth: 64,
  ticketTtlMs: 2 * 60_000,
};

export type Verdict = { authenticated: boolean; url: URL };

function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  return h?.startsWith("Bearer ") ? h.slice(7).trim() : null;
}

function refuse(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extraHeaders: Record<string, string> = {},
): null {
  if (!res.headersSent)
    res.writeHead(status, { "content-type": "application/json", ...extraHeaders });
  res.end(JSON.stringify({ error: { code, message } }));
  return null;
}

/** `Vary` values accumulate instead of replacing each other (tRPC sets its own after ours). */
function mergeVary(res: ServerResponse): void {
  const set = res.setHeader.bind(res);
  res.setHeader = ((name: string, value: number | string | readonly string[]) => {
    if (name.toLowerCase() !== "vary") return set(name, value);
    const before = String(res.getHeader("vary") ?? "");
    const all = [
      ...before.split(","),
      ...(Array.isArray(value) ? value : [String(value)]).flatMap((v) => String(v).split(",")),
    ]
      .map((v) => v.trim())
      .filter(Boolean);
    const seen = new Set<string>();
    return set(
      "vary",
      all.filter((v) => !seen.has(v.toLowerCase()) && seen.add(v.toLowerCase())).join(", "),
    );
  }) as ServerResponse["setHeader"];
}

export type RequestGuard = {
  /** Run every check. On refusal the response is already sent and the result is null. */
  admit(req: IncomingMessage, res: ServerResponse): Promise<Verdict | null>;
  /** The verdict `admit` gave this request (for tRPC's createContext). */
  verdictOf(req: IncomingMessage): Verdict | undefined;
  /**
   * A ticket for one SSE connection setup, valid `ticketTtlMs` (the caller must be
   * authenticated).
   */
  issueTicket(): { ticket: string; expiresAt: string };
};

export function createRequestGuard(opts: GuardOptions): RequestGuard {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const ticketKey = randomBytes(32); // per process: a restart invalidates every ticket
  const verdicts = new WeakMap<IncomingMessage, Verdict>();
  const sign = (expires: number) =>
    createHmac("sha256", ticketKey).update(`sse-ticket:${expires}`).digest("base64url");

  const ticketValid = (ticket: string): boolean => {
    const [version, expiresText, mac] = ticket.split(".");
    const expires = Number(expiresText);
    if (version !== "t1" || !mac || !Number.isSafeInteger(expires)) return false;
    const now = Date.now();
    if (expires < now || expires > now + limits.ticketTtlMs) return false;
    return sameSecret(mac, sign(expires));
  };

  const ticketOf = (url: URL): string | null => {
    const raw = url.searchParams.get("connectionParams");
    if (!raw || raw.length > 1000) return null;
    try {
      const params = JSON.parse(raw) as { ticket?: unknown };
      return typeof params?.ticket === "string" ? params.ticket : null;
    } catch {
      return null;
    }
  };

  return {
    verdictOf: (req) => verdicts.get(req),

    issueTicket() {
      const expires = Date.now() + limits.ticketTtlMs;
      return {
        ticket: `t1.${expires}.${sign(expires)}`,
        expiresAt: new Date(expires).toISOString(),
      };
    },

    async admit(req, res) {
      mergeVary(res);
      if ((req.url ?? "").length > limits.maxUrlLength)
        return refuse(
          res,
          414,
          "URI_TOO_LONG",
          `request URL longer than ${limits.maxUrlLength} characters`,
        );

      // An absolute-form target's authority wins over Host (RFC 9112): it is the one checked.
      const host = requestHost(req.url, req.headers.host);
      if (!isAllowedHost(host, opts.port(), opts.allowedHosts)) {
        return refuse(res, 421, "MISDIRECTED", MISDIRECTED_MESSAGE);
      }

      const origin = req.headers.origin;
      const originAllowed = origin !== undefined && opts.allowedOrigins.includes(origin);
      if (originAllowed) {
        res.setHeader("access-control-allow-origin", origin);
        res.setHeader("vary", "origin");
        res.setHeader(
          "access-control-allow-headers",
          "authorization, content-type, x-specsync-actor, trpc-accept, last-event-id, mcp-session-id, mcp-protocol-version",
        );
        res.setHeader("access-control-expose-headers", "mcp-session-id");
        res.setHeader("access-control-allow-methods", "GET, POST, DELETE, OPTIONS");
      }
      if (origin !== undefined && !originAllowed)
        return refuse(
          res,
          403,
          "FORBIDDEN",
          "this Origin may not call specsync (SPECSYNC_WEB_ORIGIN)",
        );
      if (req.method === "OPTIONS") {
        res.writeHead(originAllowed ? 204 : 403).end();
        return null;
      }

      const url = new URL(req.url ?? "/", "http://specsync.invalid");
      const token = opts.token;
      let authenticated = token === null;
      if (token !== null) {
        const presented = bearer(req);
        if (presented !== null) authenticated = sameSecret(token, presented);
        else if (req.method === "GET" && opts.ticketPaths?.(url.pathname)) {
          const ticket = ticketOf(url);
          authenticated = ticket !== null && ticketValid(ticket);
        }
      }
      if (!authenticated && !opts.publicPaths?.includes(url.pathname)) {
        return refuse(
          res,
          401,
          "UNAUTHORIZED",
          "missing or wrong bearer token (Authorization: Bearer <SPECSYNC_TOKEN>)",
          { connection: "close" },
        );
      }

      // A body-less DELETE (MCP's session end) has nothing to check.
      const bodyless =
        req.method === "DELETE" &&
        !req.headers["transfer-encoding"] &&
        (req.headers["content-length"] ?? "0") === "0";
      if (req.method !== "GET" && req.method !== "HEAD" && !bodyless) {
        const [mediaType = ""] = (req.headers["content-type"] ?? "").split(";");
        const type = mediaType.trim().toLowerCase();
        if (type !== "application/json")
          return refuse(
            res,
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "request bodies must be application/json",
            { connection: "close" },
          );
        let text = "";
        try {
          text = await readBodyText(req, limits.maxBodyBytes);
          checkJsonText(text, limits.maxJsonDepth);
          (req as IncomingMessage & { body?: string }).body = text;
        } catch (err) {
          // An MCP client reads JSON-RPC: a call nested too deep fails as invalid params (-32602).
          const deep =
            err instanceof BodyRefused && err.tooDeep && url.pathname === "/mcp"
              ? tooDeepAnswer(Buffer.from(text), limits.maxJsonDepth)
              : null;
          if (deep) {
            res.writeHead(200, { "content-type": "application/json", connection: "close" });
            res.end(deep);
            return null;
          }
          if (err instanceof BodyRefused)
            return refuse(
              res,
              err.status,
              err.status === 413 ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST",
              err.message,
              { connection: "close" },
            );
          throw err;
        }
      }
      const verdict = { authenticated, url };
      verdicts.set(req, verdict);
      return verdict;
    },
  };
}
