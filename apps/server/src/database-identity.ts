import path from "node:path";

/**
 * Which database a process uses, named without a secret: `server.json` carries it so that a CLI
 * on another database than the running server's is refused instead of splitting the state.
 * PostgreSQL is its host, port and database name (never the user or password); loopback names
 * count as one host, so `localhost` and `127.0.0.1` are the same server. Another alias of one
 * server (a hostname for the same machine) reads as another database: the refusal then says which
 * each uses.
 */
export type DatabaseIdentity =
  | { kind: "pglite"; dataDir: string }
  | { kind: "postgres"; host: string; port: number; database: string };

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** The identity of `location` (databaseLocation's answer); null for a URL we cannot read. */
export function databaseIdentity(location: {
  url?: string;
  dataDir?: string;
}): DatabaseIdentity | null {
  if (!location.url) {
    const dir = location.dataDir ?? "memory://";
    return { kind: "pglite", dataDir: dir.startsWith("memory://") ? dir : path.resolve(dir) };
  }
  let u: URL;
  try {
    u = new URL(location.url);
  } catch {
    return null;
  }
  const q = (k: string) => u.searchParams.get(k) || undefined;
  // libpq's defaults: host localhost, port 5432, database named after the user.
  const rawHost = (u.hostname || q("host") || "localhost").toLowerCase();
  const user = decodeURIComponent(u.username) || q("user") || "postgres";
  return {
    kind: "postgres",
    host: LOOPBACK.has(rawHost) ? "localhost" : rawHost,
    port: Number(u.port || q("port") || 5432),
    database: decodeURIComponent(u.pathname.replace(/^\//, "")) || q("dbname") || user,
  };
}

export function sameDatabase(a: DatabaseIdentity, b: DatabaseIdentity): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** In words, as refusals print it. */
export function describeDatabase(id: DatabaseIdentity): string {
  return id.kind === "pglite"
    ? `the embedded ${id.dataDir}`
    : `PostgreSQL ${id.host}:${id.port}/${id.database}`;
}
