import { createHash } from "node:crypto";

export type FileStat = { size: number; mtimeMs: number; ino: number };

/** One short digest of a folder's file stats: unchanged digest, unchanged files (content is never trusted to it alone for imports). */
export function statFingerprint(stats: Record<string, FileStat>): string {
  const h = createHash("sha1");
  for (const f of Object.keys(stats).sort()) {
    const s = stats[f]!;
    h.update(`${f}\0${s.size}\0${s.mtimeMs}\0${s.ino}\n`);
  }
  return h.digest("base64url");
}
