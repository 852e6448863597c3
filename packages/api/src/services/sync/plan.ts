/**
 * The sync rules as pure functions: no database, no files, no clock. Given what disk, database
 * and the last-synced base say about a folder, decide what to import, flush, adopt and record.
 * The three-way table of docs/architecture.md is `fileState`; everything else follows from it.
 */
import type { Stats } from "node:fs";
import type { ConflictDetails, OpenConflict, SyncAction } from "@specsync/validators";
import type { FileMap } from "../spec-files";
import type { FileState, FileStatus } from "./types";

/** What disk holds: per tracked file its hash, and its text when it was read. */
export type DiskSide = ReadonlyMap<string, { hash: string; content?: string }>;
/**
 * What the row holds: its files (the database's version) and the hashes of the last sync (base).
 */
export type RowSide = {
  contentHashes: Record<string, string>;
  baseHashes: Record<string, string>;
  files: FileMap;
};

/** One row of the three-way table (a missing file has hash null). */
export function fileState(disk: string | null, db: string | null, base: string | null): FileState {
  if (disk === base) return db === base ? "clean" : "db_changed";
  if (db === base) return "fs_changed";
  return disk === db ? "converged" : "conflict";
}

/** Three-way state of every file known to disk, database or base, by file name. */
export function compareFiles(
  disk: DiskSide,
  row: Omit<RowSide, "files"> | undefined,
): FileStatus[] {
  const db = row?.contentHashes ?? {};
  const base = row?.baseHashes ?? {};
  const names = new Set([...disk.keys(), ...Object.keys(db), ...Object.keys(base)]);
  return [...names].sort().map((file) => {
    const diskHash = disk.get(file)?.hash ?? null;
    const dbHash = db[file] ?? null;
    const baseHash = base[file] ?? null;
    return { file, state: fileState(diskHash, dbHash, baseHash), diskHash, dbHash, baseHash };
  });
}

export type FolderPlan = {
  statuses: FileStatus[];
  /** No file differs anywhere: at most bookkeeping is left to do. */
  clean: boolean;
  /** Edited on disk (or in conflict, where the file wins): disk → database, old copy to history. */
  imported: string[];
  /** Both sides made the same edit: the disk version becomes the new base. */
  adopted: string[];
  /** Database edits not yet on disk: database → disk, re-checked right before writing. */
  flush: string[];
  /** Changed on both sides, differently: imported, the database version kept in history. */
  conflicts: string[];
  /** The row's files once the disk side is applied (flushed files keep the database version). */
  files: FileMap;
  /** What importing replaces (null: the database had no such file). */
  previous: Record<string, string | null>;
  /** The new base: what disk holds now. */
  baseHashes: Record<string, string>;
};

/** Plan a folder from its disk side and its row (undefined: no row yet, everything is imported). */
export function planFolder(disk: DiskSide, row: RowSide | undefined): FolderPlan {
  const statuses = compareFiles(disk, row);
  const dbFiles = row?.files ?? {};
  const files: FileMap = { ...dbFiles };
  const plan: FolderPlan = {
    statuses,
    clean: statuses.every((s) => s.state === "clean"),
    imported: [],
    adopted: [],
    flush: [],
    conflicts: [],
    files,
    previous: {},
    baseHashes: { ...(row?.baseHashes ?? {}) },
  };
  for (const { file, state } of statuses) {
    if (state === "clean") continue;
    if (state === "db_changed") {
      plan.flush.push(file);
      continue;
    }
    if (state === "conflict") plan.conflicts.push(file);
    if (state === "converged") plan.adopted.push(file);
    else {
      plan.previous[file] = dbFiles[file] ?? null;
      plan.imported.push(file);
    }
    const content = disk.get(file)?.content ?? (disk.has(file) ? dbFiles[file] : undefined);
    if (content === undefined) delete files[file];
    else files[file] = content;
  }
  for (const [file, d] of disk) plan.baseHashes[file] = d.hash;
  for (const file of Object.keys(plan.baseHashes))
    if (!disk.has(file)) delete plan.baseHashes[file];
  return plan;
}

/** A file as it is on disk right now (null: not there). */
export type CurrentFile = { hash: string; content: string; stat: Stats };

/** What happened to one planned flush, in plan order. */
export type FlushStep =
  /** `stat` null: written, but gone again before it could be stat'ed (the base stays as read). */
  | { file: string; kind: "written"; hash: string; stat: Stats | null; previous: string | null }
  | { file: string; kind: "deleted"; previous: string | null }
  /** The file changed since it was read: the file wins, the database edit goes to history. */
  | { file: string; kind: "changed_on_disk"; current: CurrentFile | null };

export type Flushed = {
  files: FileMap;
  baseHashes: Record<string, string>;
  disk: Map<string, { hash: string; content?: string; stat: Stats }>;
  imported: string[];
  conflicts: string[];
  previous: Record<string, string | null>;
  flushed: string[];
  flushPrevious: Record<string, string | null>;
};

/**
 * The plan after its flushes: written files get a new base, files changed meanwhile are imported.
 */
export function applyFlush(
  plan: FolderPlan,
  dbFiles: FileMap,
  disk: ReadonlyMap<string, { hash: string; content?: string; stat: Stats }>,
  steps: readonly FlushStep[],
): Flushed {
  const out: Flushed = {
    files: { ...plan.files },
    baseHashes: { ...plan.baseHashes },
    disk: new Map(disk),
    imported: [...plan.imported],
    conflicts: [...plan.conflicts],
    previous: { ...plan.previous },
    flushed: [],
    flushPrevious: {},
  };
  for (const step of steps) {
    const { file } = step;
    if (step.kind === "changed_on_disk") {
      out.conflicts.push(file);
      out.previous[file] = dbFiles[file] ?? null;
      out.imported.push(file);
      const { current } = step;
      if (current) {
        out.files[file] = current.content;
        out.baseHashes[file] = current.hash;
        out.disk.set(file, current);
      } else {
        delete out.files[file];
        delete out.baseHashes[file];
      }
      continue;
    }
    out.flushPrevious[file] = step.previous;
    out.flushed.push(file);
    if (step.kind === "deleted") {
      delete out.baseHashes[file];
      out.disk.delete(file);
    } else if (step.stat) {
      out.baseHashes[file] = step.hash;
      out.disk.set(file, { hash: step.hash, stat: step.stat });
    }
  }
  return out;
}

/** The files still waiting for a flush: only after a failed one (the next sync retries them). */
export function pendingAfter(plan: FolderPlan, done: Flushed, flushError: string | null): string[] {
  if (!flushError) return [];
  return plan.flush.filter((f) => !done.flushed.includes(f) && !done.conflicts.includes(f));
}

/** How the row stood before: absent, soft-deleted, or live (and whether it just moved here). */
export type RowBefore = { exists: boolean; deleted: boolean; moved: boolean; archivedNow: boolean };

/** Nothing to import or flush, and the row already lives here: bookkeeping only. */
export function isSettled(plan: FolderPlan, before: RowBefore): boolean {
  return before.exists && !before.moved && !before.deleted && plan.clean;
}

/** The action a reconcile records for the folder. */
export function actionOf(conflicts: readonly string[], before: RowBefore): SyncAction {
  if (conflicts.length) return "conflict";
  if (!before.exists) return "created";
  if (before.moved && before.archivedNow) return "archived";
  return before.deleted ? "created" : "updated";
}

/**
 * The conflict the row shows: a new one, or the still-open one (a conflict stays until resolved).
 */
export function conflictOf(
  conflicts: readonly string[],
  open: OpenConflict | null,
  times: { detectedAt: Date; fsModifiedAt: Date | null; dbModifiedAt: Date | null },
): OpenConflict | null {
  if (!conflicts.length) return open;
  return {
    files: [...conflicts],
    detectedAt: times.detectedAt.toISOString(),
    fsModifiedAt: times.fsModifiedAt?.toISOString() ?? null,
    dbModifiedAt: times.dbModifiedAt?.toISOString() ?? null,
    historyId: null,
  };
}

/** A history entry of a reconcile, before the ids and timings the store adds. */
export type PlannedHistory = {
  direction: "fs_to_db" | "db_to_fs";
  action: SyncAction;
  success: boolean;
  filesChanged: string[];
  conflict?: ConflictDetails | null;
  previousContent?: Record<string, string | null> | null;
  error?: string | null;
  note?: string | null;
  /** Update this history entry (an open failed write of the same edit) instead of adding one. */
  reuse?: number;
};

/**
 * The newest write entry of the files a reconcile flushes, when it is a failure: the same edit,
 * still waiting for its file. A retry that fails again updates it, a flush that succeeds closes it
 * (one entry per edit, not one per attempt).
 */
export type OpenFailure = {
  id: number;
  filesChanged: string[];
  previousContent: Record<string, string | null> | null;
  error: string | null;
};

/**
 * The flush that wrote a pending edit closes its failed entry when the bytes it replaced are the
 * ones that entry kept (or it kept none): the version the disk had stays in that entry. Otherwise
 * (a write slipped in since) the flush gets its own entry, so neither version is dropped.
 */
function closeFailure(
  open: OpenFailure | null,
  done: Flushed,
  trigger: string,
): PlannedHistory | null {
  if (!open?.filesChanged.every((f) => done.flushed.includes(f))) return null;
  const kept = open.previousContent ?? {};
  const same = done.flushed.every(
    (f) => !(f in kept) || kept[f] === (done.flushPrevious[f] ?? null),
  );
  if (!same) return null;
  return {
    direction: "db_to_fs",
    action: "flushed",
    success: true,
    error: null,
    note: `the first write failed (${open.error ?? "error"}); written by a later sync (${trigger})`,
    filesChanged: done.flushed,
    previousContent: { ...done.flushPrevious, ...kept },
    reuse: open.id,
  };
}

/**
 * The history a reconcile leaves: the import (with what it replaced), the flush, a failed flush.
 */
export function historiesOf(
  plan: FolderPlan,
  done: Flushed,
  flushError: string | null,
  before: RowBefore,
  conflict: OpenConflict | null,
  pending: { open: OpenFailure | null; trigger: string } = { open: null, trigger: "" },
): PlannedHistory[] {
  const out: PlannedHistory[] = [];
  const action = actionOf(done.conflicts, before);
  const details: ConflictDetails | null =
    done.conflicts.length && conflict
      ? {
          files: done.conflicts,
          fsModifiedAt: conflict.fsModifiedAt,
          dbModifiedAt: conflict.dbModifiedAt,
          resolution: "filesystem_wins",
          automatic: true,
        }
      : null;
  if (done.imported.length || before.moved || !before.exists || before.deleted) {
    const previousContent = Object.keys(done.previous).length ? done.previous : null;
    out.push({
      direction: "fs_to_db",
      action,
      success: true,
      filesChanged: done.imported,
      conflict: details,
      previousContent,
    });
  }
  const closed = done.flushed.length ? closeFailure(pending.open, done, pending.trigger) : null;
  if (closed) out.push(closed);
  else if (done.flushed.length) {
    out.push({
      direction: "db_to_fs",
      action: "flushed",
      success: true,
      filesChanged: done.flushed,
      previousContent: done.flushPrevious,
    });
  }
  if (flushError) {
    const failed = plan.flush.filter((f) => !done.flushed.includes(f));
    const { open } = pending;
    // Failing again: the same failure, still open; its entry says so with the newest error.
    const again = !closed && open && failed.every((f) => open.filesChanged.includes(f));
    out.push({
      direction: "db_to_fs",
      action: "failed",
      success: false,
      error: flushError,
      filesChanged: again ? open.filesChanged : failed,
      ...(again ? { reuse: open.id } : {}),
    });
  }
  return out;
}

// ------------------------------------------------------------------ moves and deletions

/** A row that could be the source of a move: `gone` when its folder no longer exists. */
export type MoveCandidate<R> = {
  row: R;
  path: string;
  gone: boolean;
  deleted: boolean;
  updatedAt: Date;
};

/** The row a folder that appeared was moved from: gone from its path; live first, then newest. */
export function pickMoveSource<R>(
  target: string,
  candidates: readonly MoveCandidate<R>[],
): R | undefined {
  const gone = candidates.filter((c) => c.path !== target && c.gone);
  gone.sort(
    (a, b) =>
      Number(a.deleted) - Number(b.deleted) || b.updatedAt.getTime() - a.updatedAt.getTime(),
  );
  return gone[0]?.row;
}

/**
 * Whether a folder with no live row at its path takes over a moved row. A soft-deleted row in
 * the way is renamed aside (never dropped: it holds the last content of a deleted folder).
 */
export function planArrival<R extends { deletedAt: Date | null }>(
  here: R | undefined,
  source: R | undefined,
): { row: R | undefined; moved: boolean; setAside: R | null } {
  if (here && !here.deletedAt) return { row: here, moved: false, setAside: null };
  if (source && (!here || !source.deletedAt))
    return { row: source, moved: true, setAside: here ?? null };
  return { row: here, moved: false, setAside: null };
}

/** The path a deleted row is set aside to when a moved folder needs its place. */
export function asidePath(row: { path: string; id: string }): string {
  return `${row.path}~deleted-${row.id.slice(0, 8)}`;
}

/** A folder that vanished: nothing to do, a move (follow it to where it went), or a deletion. */
export type Vanished<T> = { kind: "noop" } | { kind: "moved"; to: T } | { kind: "deleted" };

/** `found`: where a change of the same name now lives under archive/, if anywhere. */
export function planVanished<T extends { path: string }>(
  row: { deletedAt: Date | null } | undefined,
  from: string,
  found: T | null,
): Vanished<T> {
  if (!row || row.deletedAt) return { kind: "noop" };
  if (found && found.path !== from) return { kind: "moved", to: found };
  return { kind: "deleted" };
}
