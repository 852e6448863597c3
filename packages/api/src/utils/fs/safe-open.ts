import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  unlinkSync,
} from "node:fs";
import path from "node:path";
import { SpecsyncError } from "../errors";
import { readTextFd, type TextFile } from "./read-text";

/**
 * Opening a tracked file without a symlink race.
 *
 * Checking a path (realpath, lstat) and then opening it by name leaves a window: a file swapped for
 * a symlink to `~/.ssh/id_rsa` in between is opened, and its bytes land in the database and history
 * (10 times in 20 s of swapping, before this module). Here every component is opened relative to
 * the directory before it, starting from a descriptor of the root: Linux's
 * `/proc/self/fd/<dir>/<name>` resolves `<name>` inside the directory that descriptor holds —
 * Node's stand-in for `openat(2)` — and `O_NOFOLLOW` refuses a symlink in that step. A symlink met
 * on the way is allowed only when its target is inside the root, and then the walk restarts from
 * the root along the target's real path, again component by component, so whatever is finally
 * opened was reached without following any link. Content is read from that descriptor only, never
 * by path again.
 *
 * Without `/proc` (macOS, BSD) the fallback opens the realpath with `O_NOFOLLOW` and then checks
 * that the descriptor's device/inode is the one the path resolves to, and that every directory on
 * the way is a directory inside the root, refusing on any difference.
 */

const HAS_PROC_FD = process.platform === "linux" && existsSync("/proc/self/fd");
const MAX_HOPS = 16;
const { O_RDONLY, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = constants;

const at = (dirFd: number, name: string) => `/proc/self/fd/${dirFd}/${name}`;

function isWithin(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function outside(rel: string): SpecsyncError {
  return new SpecsyncError(
    "BAD_REQUEST",
    `path leads outside the OpenSpec root through a symlink: ${rel}`,
  );
}

/** Split a path relative to the root, refusing absolute paths, `..`, NUL. */
function segmentsOf(rel: string): string[] {
  if (rel.includes("\0")) throw new SpecsyncError("BAD_REQUEST", "path contains a NUL byte");
  if (path.isAbsolute(rel))
    throw new SpecsyncError("BAD_REQUEST", `absolute paths are not allowed: ${rel}`);
  const segs = rel.split(/[\\/]/).filter((s) => s !== "" && s !== ".");
  if (segs.includes(".."))
    throw new SpecsyncError("BAD_REQUEST", `path escapes the OpenSpec root: ${rel}`);
  return segs;
}

/** `abs` (inside `root` lexically) → its path relative to the root. */
export function relativeInside(root: string, abs: string): string {
  const rel = path.relative(path.resolve(root), path.resolve(abs));
  if (rel.startsWith("..") || path.isAbsolute(rel))
    throw new SpecsyncError("BAD_REQUEST", `path escapes the OpenSpec root: ${abs}`);
  return rel;
}

type Walk = { realRoot: string; rootFd: number };

function openRoot(root: string): Walk {
  const realRoot = realpathSync.native(root);
  return { realRoot, rootFd: openSync(realRoot, O_RDONLY | O_DIRECTORY) };
}

/** A symlink at `dirFd/name`: where it really leads, as segments under the root (or refused). */
function followInside(
  walk: Walk,
  dirFd: number,
  name: string,
  rest: string[],
  rel: string,
): string[] {
  // A dangling link throws ENOENT here: it reads like a vanished file, as it did before.
  const target = realpathSync.native(at(dirFd, name));
  if (!isWithin(walk.realRoot, target)) throw outside(rel);
  return [...path.relative(walk.realRoot, target).split(path.sep).filter(Boolean), ...rest];
}

/**
 * Open `segs` (directories, then a final entry opened with `finalFlags`) under the root. Returns
 * the descriptor of the final entry and of its parent directory (caller closes both).
 */
function walkOpen(
  walk: Walk,
  segs: string[],
  finalFlags: number,
  rel: string,
  createDirs = false,
): { fd: number; dirFd: number; name: string } {
  for (let hops = 0; hops <= MAX_HOPS; hops++) {
    let dirFd = walk.rootFd;
    let restarted = false;
    const owned: number[] = [];
    try {
      for (let i = 0; i < segs.length; i++) {
        const name = segs[i] ?? ""; // i < segs.length
        const last = i === segs.length - 1;
        try {
          const fd = openSync(
            at(dirFd, name),
            last ? finalFlags : O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
          );
          if (last) {
            const k = owned.indexOf(dirFd);
            if (k >= 0) owned.splice(k, 1); // handed to the caller
            return { fd, dirFd, name };
          }
          owned.push(fd);
          dirFd = fd;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === "ENOENT" && createDirs && !last) {
            mkdirSync(at(dirFd, name));
            i--;
            continue;
          }
          if (code !== "ELOOP" && code !== "ENOTDIR") throw err;
          let isLink = false;
          try {
            isLink = lstatSync(at(dirFd, name)).isSymbolicLink();
          } catch {
            throw err;
          }
          if (!isLink) throw err;
          segs = followInside(walk, dirFd, name, segs.slice(i + 1), rel);
          restarted = true;
          break;
        }
      }
      if (!restarted) {
        // Empty path: the root itself.
        return {
          fd: openSync(walk.realRoot, finalFlags),
          dirFd: openSync(walk.realRoot, O_RDONLY | O_DIRECTORY),
          name: ".",
        };
      }
    } finally {
      for (const fd of owned) closeSync(fd);
    }
  }
  throw new SpecsyncError("BAD_REQUEST", `too many symlinks on the way to ${rel}`);
}

/**
 * Fallback without /proc: open the realpath with O_NOFOLLOW, then check the descriptor is what
 * the path is.
 */
function fallbackOpen(root: string, rel: string, finalFlags: number): number {
  const realRoot = realpathSync.native(root);
  const real = realpathSync.native(path.join(realRoot, rel));
  if (!isWithin(realRoot, real)) throw outside(rel);
  const fd = openSync(real, finalFlags);
  try {
    const opened = fstatSync(fd);
    for (
      let dir = path.dirname(real);
      isWithin(realRoot, dir) && dir !== realRoot;
      dir = path.dirname(dir)
    ) {
      if (!lstatSync(dir).isDirectory()) throw outside(rel);
    }
    const now = lstatSync(real);
    if (now.dev !== opened.dev || now.ino !== opened.ino || realpathSync.native(real) !== real)
      throw outside(rel);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * Open a file inside `root` for reading, symlink-race free. The caller reads from and closes the
 * fd.
 */
export function openConfined(root: string, rel: string): number {
  const segs = segmentsOf(rel);
  const flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK; // NONBLOCK: a FIFO must not hang the sync
  if (!HAS_PROC_FD) return fallbackOpen(root, rel, flags);
  const walk = openRoot(root);
  try {
    const { fd, dirFd } = walkOpen(walk, segs, flags, rel);
    if (dirFd !== walk.rootFd) closeSync(dirFd);
    return fd;
  } finally {
    closeSync(walk.rootFd);
  }
}

/**
 * Read a tracked file (strict UTF-8, size limit) through a confined descriptor. `abs` must lie
 * in `root`.
 */
export function readTextFileConfined(root: string, abs: string): TextFile {
  const rel = relativeInside(root, abs);
  const fd = openConfined(root, rel);
  try {
    return readTextFd(fd, abs);
  } finally {
    closeSync(fd);
  }
}

/** Files of one folder read through a confined descriptor of the folder (see openFolderConfined). */
export type ConfinedFolder = { read(relFile: string): TextFile; close(): void };

/**
 * A folder inside `root` opened once for reading several of its files: each is opened from the
 * folder's descriptor (its subdirectories' descriptors kept for the next file), component by
 * component with `O_NOFOLLOW`, rather than walking from the root again for every file (a dozen
 * syscalls a file, the largest part of reading a folder). A symlink met below the folder takes
 * `openConfined`'s walk from the root, so what is allowed and refused is unchanged. The folder's
 * descriptor was itself reached without following a link, so everything opened through it was
 * inside the root when its directory was opened — the guarantee the per-file walk gives.
 */
export function openFolderConfined(root: string, folderAbs: string): ConfinedFolder {
  const label = (rel: string) => path.join(folderAbs, rel);
  const viaRoot = (rel: string) => readTextFileConfined(root, label(rel));
  const perFile = { read: viaRoot, close: () => {} };
  if (!HAS_PROC_FD) return perFile;
  let folderFd: number;
  try {
    folderFd = openFolderFd(root, relativeInside(root, folderAbs));
  } catch {
    return perFile; // each file then fails (or is missing) exactly as it did on its own
  }
  const dirs = new Map<string, number>([["", folderFd]]);
  /** The descriptor of `rel`'s directory, opened from its parent's; null on a symlink. */
  const dirOf = (parts: string[]): number | null => {
    let fd = folderFd;
    for (let i = 0; i < parts.length; i++) {
      const key = parts.slice(0, i + 1).join("/");
      const known = dirs.get(key);
      if (known !== undefined) {
        fd = known;
        continue;
      }
      const next = openNoFollow(fd, parts[i] ?? "", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      if (next === null) return null;
      dirs.set(key, next);
      fd = next;
    }
    return fd;
  };
  return {
    read(relFile) {
      const parts = segmentsOf(relFile);
      const name = parts.pop();
      const dirFd = name === undefined ? null : dirOf(parts);
      const fd =
        dirFd === null || name === undefined
          ? null
          : openNoFollow(dirFd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
      if (fd === null) return viaRoot(relFile);
      try {
        return readTextFd(fd, label(relFile));
      } finally {
        closeSync(fd);
      }
    },
    close() {
      for (const fd of dirs.values()) closeSync(fd);
      dirs.clear();
    },
  };
}

/** A descriptor of the directory `relDir` under the root, reached without following a link. */
function openFolderFd(root: string, relDir: string): number {
  const segs = segmentsOf(relDir);
  const walk = openRoot(root);
  try {
    if (segs.length === 0) return openSync(walk.realRoot, O_RDONLY | O_DIRECTORY);
    const opened = walkOpen(walk, segs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, relDir);
    if (opened.dirFd !== walk.rootFd) closeSync(opened.dirFd);
    return opened.fd;
  } finally {
    closeSync(walk.rootFd);
  }
}

/** `name` in the directory `dirFd`, never through a symlink: null when a link (or a non-directory on
 * the way) is met, so the caller takes the walk from the root; other errors (ENOENT) thrown. */
function openNoFollow(dirFd: number, name: string, flags: number): number | null {
  try {
    return openSync(at(dirFd, name), flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ELOOP" || code === "ENOTDIR") return null;
    throw err;
  }
}

/**
 * A directory inside `root` (created when missing), as a descriptor and a path prefix through which
 * its entries are reached without following any symlink on the way (`prefix + name`).
 */
export function openDirConfined(
  root: string,
  relDir: string,
): { dirFd: number; entry: (name: string) => string; close: () => void } {
  const segs = segmentsOf(relDir);
  if (!HAS_PROC_FD) {
    mkdirSync(path.join(root, relDir), { recursive: true });
    const fd = fallbackOpen(root, relDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    const real = realpathSync.native(path.join(root, relDir));
    return { dirFd: fd, entry: (name) => path.join(real, name), close: () => closeSync(fd) };
  }
  const walk = openRoot(root);
  try {
    if (segs.length === 0) {
      const fd = openSync(walk.realRoot, O_RDONLY | O_DIRECTORY);
      return { dirFd: fd, entry: (name) => at(fd, name), close: () => closeSync(fd) };
    }
    const { fd, dirFd } = walkOpen(walk, segs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, relDir, true);
    if (dirFd !== walk.rootFd) closeSync(dirFd);
    return { dirFd: fd, entry: (name) => at(fd, name), close: () => closeSync(fd) };
  } catch (err) {
    // The last directory may itself be missing: create it and retry once.
    const lastSeg = segs.at(-1);
    if ((err as NodeJS.ErrnoException).code === "ENOENT" && lastSeg !== undefined) {
      const parent = openDirConfined(root, segs.slice(0, -1).join("/"));
      try {
        mkdirSync(parent.entry(lastSeg));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      } finally {
        parent.close();
      }
      return openDirConfined(root, relDir);
    }
    throw err;
  } finally {
    closeSync(walk.rootFd);
  }
}

/**
 * Remove a file inside `root`; the folder is reached without following symlinks (unlink never
 * follows the last one).
 */
export function unlinkConfined(root: string, abs: string): void {
  const rel = relativeInside(root, abs);
  const dir = openDirConfined(root, path.dirname(rel));
  try {
    unlinkSync(dir.entry(path.basename(rel)));
  } finally {
    dir.close();
  }
}
