import { mkdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { DatabaseIdentity } from "./database-identity";

/**
 * `<repo>/.specsync/server.json`: how a one-shot `specsync list/show` finds the server already
 * running for that repository and asks it instead of opening the database (faster; and PGlite
 * allows one process only). Holds no secret: a configured token is read by the CLI from its own
 * settings, and the database is named by its data dir or PostgreSQL host, port and name.
 */
const serverFileSchema = z.object({
  url: z.string().url(),
  pid: z.number().int().positive(),
  roots: z.array(z.string()),
  /** Absent from a server of an older version (or one whose DATABASE_URL we could not read). */
  database: z
    .discriminatedUnion("kind", [
      z.object({ kind: z.literal("pglite"), dataDir: z.string() }),
      z.object({
        kind: z.literal("postgres"),
        host: z.string(),
        port: z.number(),
        database: z.string(),
      }),
    ])
    .optional(),
});
export type ServerFile = z.infer<typeof serverFileSchema>;

export const serverFilePath = (root: string) => path.join(root, ".specsync", "server.json");

/**
 * Where a local client reaches a server listening on `host` (a wildcard address is reached on
 * loopback).
 */
export function localUrl(host: string, port: number): string {
  const h = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${h.includes(":") ? `[${h}]` : h}:${port}`;
}

/**
 * Advertise the server in every project it serves; returns the cleanup. Best effort: a read-only
 * repo just is not advertised.
 */
export function advertiseServer(
  url: string,
  roots: string[],
  database: DatabaseIdentity | null,
): () => void {
  const advertised: ServerFile = {
    url,
    pid: process.pid,
    roots,
    ...(database ? { database } : {}),
  };
  const body = `${JSON.stringify(advertised)}\n`;
  const written: string[] = [];
  for (const root of roots) {
    const file = serverFilePath(root);
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, body);
      renameSync(tmp, file);
      written.push(file);
    } catch {
      // not advertised: the CLI falls back to the database
    }
  }
  return () => {
    for (const file of written) {
      // Only our own file: another server may have started for that repo since.
      if (readServerFile(path.dirname(path.dirname(file)))?.pid === process.pid)
        rmSync(file, { force: true });
    }
  };
}

/** The path with its links resolved, or as given when it does not exist (any more). */
function realPath(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * The discovery file of `root`, when it advertises a server for `root` itself: a repository copied
 * (or moved) with its `.specsync/` while the server ran holds a file naming another repository's
 * server, which neither syncs it nor answers for it.
 */
export function readServerFile(root: string): ServerFile | null {
  try {
    const parsed = serverFileSchema.safeParse(
      JSON.parse(readFileSync(serverFilePath(root), "utf8")),
    );
    if (!parsed.success) return null;
    const here = realPath(root);
    return parsed.data.roots.some((r) => realPath(r) === here) ? parsed.data : null;
  } catch {
    return null;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
