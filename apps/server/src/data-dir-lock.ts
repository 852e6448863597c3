import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import {
  type DatabaseIdentity,
  databaseIdentity,
  describeDatabase,
  sameDatabase,
} from "./database-identity";
import { processAlive, readServerFile, type ServerFile } from "./server-file";

/**
 * An embedded PGlite data directory admits one process: two that open it corrupt it. Whoever opens
 * it first holds `<dataDir>.lock` (created with O_EXCL, holding its pid); a lock whose pid is gone
 * is stale and taken over. PostgreSQL needs none of this (several servers on one database are
 * supported).
 */
export const lockFilePath = (dataDir: string) => `${dataDir.replace(/[\\/]+$/, "")}.lock`;

function holderOf(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The live process (not this one) holding the lock of a PGlite data dir, if any. */
export function liveHolder(dataDir: string): number | null {
  if (dataDir.startsWith("memory://")) return null;
  const pid = holderOf(lockFilePath(path.resolve(dataDir)));
  return pid !== null && pid !== process.pid && processAlive(pid) ? pid : null;
}

/** The repository of the default data dir `<repo>/.specsync/pglite`. */
export const repoOfDataDir = (dataDir: string) => path.dirname(path.dirname(path.resolve(dataDir)));

/**
 * Who holds the data dir, in words: the running server's URL when its discovery file names that
 * pid.
 */
export function describeHolder(pid: number, roots: readonly string[]): string {
  for (const root of roots) {
    const advertised = readServerFile(root);
    if (advertised?.pid === pid)
      return `specsync is already running for this repository at ${advertised.url} (pid ${pid})`;
  }
  return `the embedded database is in use by another specsync process (pid ${pid})`;
}

/**
 * Take the lock of a PGlite data dir, or throw a clear error naming the holder; returns the
 * release.
 */
export function lockDataDir(dataDir: string, roots: readonly string[]): () => void {
  if (dataDir.startsWith("memory://")) return () => {};
  const file = lockFilePath(path.resolve(dataDir));
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" && attempt < 2) {
        // No parent folder yet: PGlite creates the data dir; the lock sits next to it.
        mkdirSync(path.dirname(file), { recursive: true });
        continue;
      }
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 2) throw err;
      const pid = holderOf(file);
      if (pid !== null && pid !== process.pid && processAlive(pid)) {
        // The default data dir `<repo>/.specsync/pglite` names its repository even when the caller
        // does not.
        throw new Error(
          `${describeHolder(pid, [...roots, repoOfDataDir(dataDir)])}; its embedded database ${dataDir} admits one process. Stop it first, or do this through the running server (its web UI, or its MCP tools at /mcp); \`specsync list/show/new/validate/archive/next/claim/release\` ask it directly.`,
        );
      }
      rmSync(file, { force: true }); // stale: its process is gone (or a half-written lock)
    }
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off("exit", release);
    if (holderOf(file) === process.pid) rmSync(file, { force: true });
  };
  process.once("exit", release);
  return release;
}

/** The server `root`'s discovery file names, when that process (not this one) answers /healthz. */
export async function answeringServer(root: string): Promise<ServerFile | null> {
  const advertised = readServerFile(root);
  if (!advertised || advertised.pid === process.pid || !processAlive(advertised.pid)) return null;
  const answers = await fetch(`${advertised.url}/healthz`, {
    signal: AbortSignal.timeout(2000),
  }).then(
    async (r) => (await r.arrayBuffer(), r.status < 500),
    () => false,
  );
  return answers ? advertised : null;
}

/**
 * Before a server starts on the embedded database: if the discovery file names a live process that
 * answers /healthz, say so plainly (instead of "port in use" or a locked database later on).
 */
export async function refuseSecondServer(roots: readonly string[]): Promise<void> {
  for (const root of roots) {
    const advertised = await answeringServer(root);
    if (advertised)
      throw new Error(
        `specsync is already running for this repository at ${advertised.url} (pid ${advertised.pid}); stop it first (Ctrl+C in its terminal, or kill ${advertised.pid})`,
      );
  }
}

/** What to do instead, when refused beside a server on another database. */
export const OTHER_DATABASE_HINT = (url: string) =>
  "run it with the server's SPECSYNC_DATA_DIR (or DATABASE_URL), or through the server (its " +
  `web UI at ${url}, or its MCP tools at ${url}/mcp)`;

/**
 * A server runs for one of `roots` on another database than `location`: refuse, rather than open
 * (or create) a second one whose claims, history and conflicts that server never sees, or read
 * one it never writes. The embedded case is decided by the lock (does the server hold our data
 * dir?), which holds for a server of an older version too; PostgreSQL by the identity the server
 * wrote in server.json (none: as before, nothing is known). The same database is left to the lock,
 * or to PostgreSQL, which takes several processes.
 */
export async function refuseOtherDatabase(
  roots: readonly string[],
  location: { url?: string; dataDir?: string },
  hint: (url: string) => string = OTHER_DATABASE_HINT,
): Promise<void> {
  const mine = databaseIdentity(location);
  if (!mine) return;
  for (const root of roots) {
    const server = await answeringServer(root);
    if (!server || usesDatabase(server, mine)) continue;
    const theirs = server.database ? `; the server's is ${describeDatabase(server.database)}` : "";
    throw new Error(
      `specsync is already running for this repository at ${server.url} (pid ${server.pid}) on ` +
        `another database than this command's (${describeDatabase(mine)})${theirs}: ` +
        hint(server.url),
    );
  }
}

function usesDatabase(server: ServerFile, id: DatabaseIdentity): boolean {
  if (server.database && sameDatabase(server.database, id)) return true;
  if (id.kind === "pglite") return liveHolder(id.dataDir) === server.pid;
  return !server.database;
}
