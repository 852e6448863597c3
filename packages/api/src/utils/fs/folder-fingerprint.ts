import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import path from "node:path";

/**
 * A stat this recent may still be followed by a change that keeps it (coarse kernel timestamps).
 */
export const RACY_WINDOW_MS = 2_000;

/**
 * One short digest saying "nothing moved in this folder", from `stat` calls only — no `readdir`:
 * the folder and every directory on the way to a tracked file (a directory's mtime changes whenever
 * an entry inside is added, removed or renamed), and each tracked file (size, mtime, inode).
 *
 * It is only as good as what it covers, so callers store it only for folders whose full read showed
 * no symlinks, no leftover temp files and no directories off the tracked paths. Returns null when a
 * path is gone, or when a timestamp is too recent to rely on (the racy-git problem: a write in the
 * same clock tick as our read would leave every stat unchanged) — a null fingerprint means "read it
 * in full".
 */
export function folderFingerprint(
  folderAbs: string,
  files: readonly string[],
  now = Date.now(),
): string | null {
  const dirs = new Set<string>([""]);
  for (const f of files) {
    const parts = f.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  const h = createHash("sha1");
  try {
    for (const d of [...dirs].sort()) {
      const s = statSync(d ? path.join(folderAbs, d) : folderAbs);
      if (s.mtimeMs > now - RACY_WINDOW_MS) return null;
      h.update(`d\0${d}\0${s.mtimeMs}\0${s.ino}\n`);
    }
    for (const f of [...files].sort()) {
      const s = statSync(path.join(folderAbs, f));
      if (s.mtimeMs > now - RACY_WINDOW_MS) return null;
      h.update(`f\0${f}\0${s.size}\0${s.mtimeMs}\0${s.ino}\n`);
    }
  } catch {
    return null;
  }
  return h.digest("base64url");
}
