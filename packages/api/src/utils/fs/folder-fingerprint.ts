import { hash } from "node:crypto";
import path from "node:path";
import { statFields } from "./stat-fields";

/**
 * A stat this recent may still be followed by a change that keeps it (coarse kernel timestamps).
 */
export const RACY_WINDOW_MS = 2_000;

type FileStatLike = { size: number; mtimeMs: number; ino: number };

/** S_IFMT / S_IFDIR of a stat mode. */
const isDirMode = (mode: number) => (mode & 0o170000) === 0o040000;

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The directories on the way to the files ("" is the folder itself), sorted. */
function dirsOf(files: readonly string[]): string[] {
  const dirs = [""];
  for (const f of files) {
    for (let i = f.indexOf("/"); i !== -1; i = f.indexOf("/", i + 1)) {
      const d = f.slice(0, i);
      if (!dirs.includes(d)) dirs.push(d);
    }
  }
  return dirs.length > 1 ? dirs.sort(byCodeUnit) : dirs;
}

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
 *
 * The hot loop of a no-op reconcile (~10 stats a folder): one string hashed once, no path.join.
 */
export function folderFingerprint(
  folderAbs: string,
  files: readonly string[],
  now = Date.now(),
  /** Stats of the files taken by the caller's read just before (not taken again). */
  known?: ReadonlyMap<string, { stat: FileStatLike }>,
): string | null {
  const limit = now - RACY_WINDOW_MS;
  const base = folderAbs + path.sep;
  const sep = path.sep === "/" ? null : path.sep;
  const abs = (rel: string) => base + (sep ? rel.replaceAll("/", sep) : rel);
  let text = "";
  try {
    for (const d of dirsOf(files)) {
      const s = statFields(d ? abs(d) : folderAbs);
      // A file where the folder was: not this folder any more (read it in full: it is gone).
      if (!s || s.mtimeMs > limit || !isDirMode(s.mode)) return null;
      text += `d\0${d}\0${s.mtimeMs}\0${s.ino}\n`;
    }
    for (const f of files.length > 1 ? [...files].sort(byCodeUnit) : files) {
      const s = known?.get(f)?.stat ?? statFields(abs(f));
      if (!s || s.mtimeMs > limit) return null;
      text += `f\0${f}\0${s.size}\0${s.mtimeMs}\0${s.ino}\n`;
    }
  } catch {
    return null; // not a directory on the way, no permission: read it in full
  }
  // One-shot: no Hash object per folder (10,000 of them per no-op, each with native state).
  return hash("sha1", text, "base64url");
}

/** A folder, its tracked files and the fingerprint stored for them. */
export type FingerprintCheck = [folderAbs: string, files: string[], stored: string];

/**
 * Which folders still match their stored fingerprint: the stats of a no-op reconcile as plain data
 * in and out, so a worker thread can run them (its own heap collects the `Stats` garbage).
 */
export function unchangedFolders(checks: readonly FingerprintCheck[]): boolean[] {
  const now = Date.now();
  return checks.map(
    ([folderAbs, files, stored]) => folderFingerprint(folderAbs, files, now) === stored,
  );
}
