/**
 * The Host allow-list, one rule for the API port and the web port — DNS rebinding: a page on
 * evil.example rebinds its name to 127.0.0.1 and its requests arrive with `Host: evil.example`.
 * Only loopback names on the listening port, the address bound and SPECSYNC_ALLOWED_HOSTS pass.
 */

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);
/** `HOST` values that bind the loopback only: any other needs SPECSYNC_TOKEN. */
export const LOOPBACK_BINDS: ReadonlySet<string> = new Set(["127.0.0.1", "::1", "localhost"]);
const WILDCARD_BINDS = new Set(["0.0.0.0", "::", "[::]", ""]);

/**
 * `Host` header → lowercase name (IPv6 in brackets) and port (80 when absent). Null when
 * malformed.
 */
export function parseHost(host: string): { name: string; port: number } | null {
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (!m) return null;
  const [, name = "", port] = m;
  return { name: name.toLowerCase(), port: port ? Number(port) : 80 };
}

/** `scheme://authority…`: an absolute-form request target (RFC 9112 §3.2.2). Linear. */
export const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i;

/**
 * The host a request names: the authority of an absolute-form target (`GET http://h/x`) when it
 * has one — RFC 9112 §3.2.2: it wins over the Host header, which is then ignored — else the Host
 * header. Whatever this returns is what `isAllowedHost` must pass.
 */
export function requestHost(
  target: string | undefined,
  hostHeader: string | null | undefined,
): string | null | undefined {
  const absolute = ABSOLUTE_FORM.exec(target ?? "");
  return absolute ? (absolute[1] ?? "") : hostHeader;
}

/**
 * Host allow-list: loopback names on our own port, or a configured name (any port unless it
 * names one).
 */
export function isAllowedHost(
  hostHeader: string | null | undefined,
  port: number,
  extra: readonly string[],
): boolean {
  if (!hostHeader) return false;
  const host = parseHost(hostHeader);
  if (!host) return false;
  if (LOOPBACK_NAMES.has(host.name) && host.port === port) return true;
  return extra.some((entry) => {
    const allowed = parseHost(entry);
    if (!allowed) return false;
    const namedPort = /:\d+$/.test(entry.trim()) && !entry.trim().endsWith("]");
    return allowed.name === host.name && (!namedPort || allowed.port === host.port);
  });
}

/**
 * Host names to accept besides loopback: SPECSYNC_ALLOWED_HOSTS and the address we bind, when
 * specific.
 */
export function allowedHostsFor(bindHost: string, configured: readonly string[]): string[] {
  const out = [...configured];
  if (!WILDCARD_BINDS.has(bindHost) && !LOOPBACK_NAMES.has(bindHost) && bindHost !== "::1")
    out.push(bindHost.includes(":") ? `[${bindHost}]` : bindHost);
  return out;
}

/** The answer to a Host outside the list (421 Misdirected Request), on either port. */
export const MISDIRECTED_MESSAGE =
  "unknown Host: add it to SPECSYNC_ALLOWED_HOSTS to reach specsync under this name";
