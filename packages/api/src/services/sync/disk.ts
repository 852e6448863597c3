/**
 * Reading a folder: stats, contents, hashes and the one stat fingerprint. Nothing is written here.
 */
import { readdirSync, realpathSync, type Stats, statSync } from "node:fs";
import path from "node:path";
import type { FileStat } from "@specsync/db";
import { errorMessage } from "../../utils/errors";
import { folderLastModified } from "../../utils/fs/change-folder";
import { folderFingerprint } from "../../utils/fs/folder-fingerprint";
import {
  type ConfinedFolder,
  openFolderConfined,
  readTextFileConfined,
} from "../../utils/fs/safe-open";
import { resolveInside } from "../../utils/fs/safe-path";
import {
  classifyFolder,
  type FolderRef,
  listTrackedFiles,
  listTrackedFilesDetailed,
} from "../../utils/fs/scan-workspace";
import { sha256 } from "../../utils/hash";
import type { CurrentFile } from "./plan";
import type { DiskFile, DiskRead, EditRow } from "./types";

export function statOf(s: Stats): FileStat {
  return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
}

function sameStat(a: FileStat | undefined, b: Stats): boolean {
  return !!a && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

export function fileStats(files: ReadonlyMap<string, { stat: Stats }>): Record<string, FileStat> {
  const out: Record<string, FileStat> = {};
  for (const [f, d] of files) out[f] = statOf(d.stat);
  return out;
}

/** The newest mtime among the files, rounded like Node's stat.mtime (what the CLI prints). */
export function latestMtime(files: ReadonlyMap<string, { stat: Stats }>): Date | null {
  let latest = 0;
  for (const d of files.values()) latest = Math.max(latest, d.stat.mtimeMs);
  return latest ? new Date(Math.round(latest)) : null;
}

/** An fs error as a per-file reason, without the root's absolute path. */
function fileError(file: string, err: unknown, openspecDir: string): string {
  return `${file}: ${errorMessage(err).replace(openspecDir + path.sep, "")}`;
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";

/**
 * No symlink on the way from `openspec/` to the folder (the scan knows; otherwise ask realpath).
 */
function isPlainFolder(folderAbs: string, openspecDir: string, ref: FolderRef): boolean {
  if (ref.viaSymlink !== undefined) return !ref.viaSymlink;
  try {
    const expected = path.join(realpathSync.native(openspecDir), ...ref.path.split("/"));
    return realpathSync.native(folderAbs) === expected;
  } catch {
    return false;
  }
}

/** A null stat: not taken, the file is read anyway (the read's fstat is its stat). */
type FolderStats = Omit<DiskRead, "files"> & { files: Map<string, { stat: Stats | null }> };

/**
 * Stat the tracked files of a folder (`stat`: false, only list them). The folder was resolved
 * inside the root by the caller; only paths reached through a symlink need the full containment
 * check.
 */
function statFolder(
  folderAbs: string,
  openspecDir: string,
  ref: FolderRef,
  stat: boolean,
): FolderStats {
  const files = new Map<string, { stat: Stats | null }>();
  const errors: string[] = [];
  const temps: string[] = [];
  const dirs: string[] = [];
  const untracked: string[] = [];
  const tracked = listTrackedFilesDetailed(folderAbs, ref.kind, temps, dirs, untracked);
  const onPaths = new Set(
    tracked.flatMap(({ file }) => {
      const parts = file.split("/");
      return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
    }),
  );
  const trusted =
    isPlainFolder(folderAbs, openspecDir, ref) &&
    tracked.every((t) => !t.viaSymlink) &&
    dirs.every((d) => onPaths.has(d));
  for (const { file, viaSymlink } of tracked) {
    try {
      if (viaSymlink) resolveInside(openspecDir, `${ref.path}/${file}`);
      files.set(file, { stat: stat ? statSync(path.join(folderAbs, file)) : null });
    } catch (err) {
      if (isMissing(err)) continue; // vanished between listing and stat
      errors.push(fileError(file, err, openspecDir));
    }
  }
  const error = errors.length ? errors.join("; ") : null;
  return { files, error, temps, trusted, complete: untracked.length === 0 };
}

/**
 * Read the tracked files of a folder, hashing only those whose stat changed since the last sync.
 */
export function readDisk(
  folderAbs: string,
  openspecDir: string,
  ref: FolderRef,
  row: Pick<EditRow, "baseHashes" | "fileStats"> | undefined,
): DiskRead {
  // A new folder (no row to compare with) has every file read, and the read's fstat is the
  // file's stat: no stat before it. Should a read fail, the folder is read again with the stats
  // first, so the errors are those of the stats when they fail.
  if (!row) {
    const read = readFolder(folderAbs, openspecDir, ref, undefined, false);
    if (!read.failed) return read.disk;
  }
  return readFolder(folderAbs, openspecDir, ref, row, true).disk;
}

function readFolder(
  folderAbs: string,
  openspecDir: string,
  ref: FolderRef,
  row: Pick<EditRow, "baseHashes" | "fileStats"> | undefined,
  statFirst: boolean,
): { disk: DiskRead; failed: boolean } {
  const stats = statFolder(folderAbs, openspecDir, ref, statFirst);
  const files = new Map<string, DiskFile>();
  const errors: string[] = stats.error ? [stats.error] : [];
  let failed = false;
  let folder: ConfinedFolder | null = null;
  try {
    for (const [file, { stat }] of stats.files) {
      const base = row?.baseHashes[file];
      if (base && row && stat && sameStat(row.fileStats[file], stat)) {
        files.set(file, { hash: base, stat });
        continue;
      }
      try {
        // The folder opened once, on the first file that needs reading (safe-open.ts).
        folder ??= openFolderConfined(openspecDir, folderAbs);
        const text = folder.read(file);
        files.set(file, { hash: sha256(text.bytes), content: text.content, stat: text.stat });
      } catch (err) {
        if (isMissing(err)) continue;
        failed = true;
        errors.push(fileError(file, err, openspecDir));
      }
    }
  } finally {
    folder?.close();
  }
  return { disk: { ...stats, files, error: errors.length ? errors.join("; ") : null }, failed };
}

/** One file as it is now (null: not there); read errors other than "missing" are thrown. */
export function readCurrent(abs: string, root: string): CurrentFile | null {
  try {
    const t = readTextFileConfined(root, abs);
    return { hash: sha256(t.bytes), content: t.content, stat: t.stat };
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** The fingerprint to store: only when it covers the whole folder (see folderFingerprint). */
export function storableFingerprint(
  folderAbs: string,
  disk: Pick<DiskRead, "trusted">,
  files: Iterable<string>,
  tempsLeft: number,
  known?: ReadonlyMap<string, { stat: Stats }>,
): string | null {
  return disk.trusted && tempsLeft === 0
    ? folderFingerprint(folderAbs, [...files], Date.now(), known)
    : null;
}

/** Whether the files a bulk snapshot knew are unchanged since the fingerprint was stored. */
export function fingerprintUnchanged(
  folderAbs: string,
  files: readonly string[],
  stored: string,
): boolean {
  return folderFingerprint(folderAbs, files) === stored;
}

/**
 * The watcher's "did anything move while we synced?": the same stat fingerprint over the files
 * tracked right now, with no racy window (a write a moment ago is exactly what it looks for).
 * Null when the folder is gone or not a change/spec folder.
 */
export function settleFingerprint(openspecDir: string, relPath: string): string | null {
  const ref = classifyFolder(relPath);
  if (!ref) return null;
  const abs = path.join(openspecDir, relPath);
  try {
    return folderFingerprint(abs, listTrackedFiles(abs, ref.kind), Number.POSITIVE_INFINITY);
  } catch {
    return null;
  }
}

/**
 * `openspec list`'s lastModified for an active change (any file); newest tracked file otherwise.
 */
export function folderModifiedAt(
  folderAbs: string,
  ref: FolderRef,
  disk: ReadonlyMap<string, { stat: Stats }>,
  /** The read listed every entry under the folder (DiskRead.complete): no walk needed. */
  complete = false,
): Date | null {
  if (ref.kind === "change" && !ref.archived) {
    if (complete && disk.size) return newestMtime(disk);
    try {
      return folderLastModified(folderAbs);
    } catch {
      // vanished meanwhile: the next sync sees the folder gone
    }
  }
  return latestMtime(disk);
}

/** folderLastModified's answer from stats in hand: the newest `stat.mtime` (a Date, as it uses). */
function newestMtime(disk: ReadonlyMap<string, { stat: Stats }>): Date | null {
  let latest: Date | null = null;
  for (const { stat } of disk.values())
    if (latest === null || stat.mtime > latest) latest = stat.mtime;
  return latest;
}

/**
 * Where an active change went when its folder vanished: `changes/archive/<date>-<name>`, if
 * present.
 */
export function findArchivedFolder(openspecDir: string, name: string): FolderRef | null {
  let entries: string[];
  try {
    entries = readdirSync(path.join(openspecDir, "changes", "archive"));
  } catch {
    return null;
  }
  const match = entries
    .filter((e) => !e.startsWith(".") && classifyFolder(`changes/archive/${e}`)?.name === name)
    .sort()
    .pop();
  return match ? classifyFolder(`changes/archive/${match}`) : null;
}
