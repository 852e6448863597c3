import { statSync } from "node:fs";

/** What a fingerprint needs of a stat. */
export type StatFields = { size: number; mtimeMs: number; ino: number; mode: number };

/** Node's own stat binding (what `statSync` calls): a Float64Array it reuses, no objects. */
type RawStat = (
  path: string,
  bigint: false,
  req: undefined,
  throwIfNoEntry: boolean,
) => Float64Array | undefined;

// Indices in Node's stat array (src/node_file.h: dev, mode, nlink, uid, gid, rdev, blksize, ino,
// size, blocks, then seconds and nanoseconds of atime, mtime, …).
const MODE = 1;
const INO = 7;
const SIZE = 8;
const MTIME_SEC = 12;
const MTIME_NSEC = 13;

/** One reused answer: valid until the next call on this thread. */
const scratch: StatFields = { size: 0, mtimeMs: 0, ino: 0, mode: 0 };

/**
 * `statSync` allocates a `Stats` with four `Date`s per call (Node 20): in a no-op reconcile's
 * ~100,000 stats that garbage cost more CPU than the JavaScript around it. The binding it wraps
 * returns plain numbers; it is undocumented, so it is used only if it answers exactly as
 * `statSync` does for this module's own directory, else `statSync` it is.
 */
const raw = ((): RawStat | null => {
  try {
    const binding = (process as unknown as { binding?: (name: string) => { stat?: unknown } })
      .binding;
    const stat = binding?.("fs").stat;
    if (typeof stat !== "function") return null;
    const probe = import.meta.dirname ?? process.cwd();
    const a = (stat as RawStat)(probe, false, undefined, false);
    const s = statSync(probe);
    if (!(a instanceof Float64Array) || a.length < 14) return null;
    const mtimeMs = (a[MTIME_SEC] ?? 0) * 1e3 + (a[MTIME_NSEC] ?? 0) / 1e6;
    const same =
      a[INO] === s.ino && a[MODE] === s.mode && a[SIZE] === s.size && mtimeMs === s.mtimeMs;
    const gone = (stat as RawStat)(`${probe}/.specsync-no-such-entry`, false, undefined, false);
    return same && gone === undefined ? (stat as RawStat) : null;
  } catch {
    return null;
  }
})();

/**
 * size, mtimeMs, ino and mode of `path` (following symlinks, as `statSync`), or undefined when it or a
 * directory on the way does not exist; other errors throw. The answer is reused by the next call.
 */
export function statFields(path: string): StatFields | undefined {
  if (!raw) return statSync(path, { throwIfNoEntry: false });
  const a = raw(path, false, undefined, false);
  if (!a) return undefined;
  scratch.ino = a[INO] ?? 0;
  scratch.mode = a[MODE] ?? 0;
  scratch.size = a[SIZE] ?? 0;
  // The same double as Stats#mtimeMs (Node's msFromTimeSpec), so digests stay byte-identical.
  scratch.mtimeMs = (a[MTIME_SEC] ?? 0) * 1e3 + (a[MTIME_NSEC] ?? 0) / 1e6;
  return scratch;
}

/** Whether the fast path is in use (tests). */
export const statFieldsFast = raw !== null;
