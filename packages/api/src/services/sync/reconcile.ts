/**
 * The core: reconcile one folder, read → plan → flush → store → publish. Callers hold the
 * folder's lock (`syncLocked` takes it). Never throws: failures are outcomes.
 */
import path from "node:path";
import type { ProjectRow } from "@specsync/db";
import type { SyncTrigger } from "@specsync/validators";
import { errorMessage, isConcurrentWriteRace, isDatabaseUnavailable } from "../../utils/errors";
import { isFolder } from "../../utils/fs/is-folder";
import { resolveInside } from "../../utils/fs/safe-path";
import { classifyFolder, type FolderRef, hasUndecodableName } from "../../utils/fs/scan-workspace";
import { filesOfRow } from "../spec-files";
import { folderValues, parsedOf } from "./derive-values";
import {
  fileStats,
  findArchivedFolder,
  fingerprintUnchanged,
  folderModifiedAt,
  latestMtime,
  readDisk,
  storableFingerprint,
} from "./disk";
import { failureOfMessage, failureSeen } from "./failure-key";
import { clearTempFiles, flushFolder } from "./flush";
import {
  actionOf,
  applyFlush,
  conflictOf,
  type Flushed,
  type FolderPlan,
  historiesOf,
  isSettled,
  type OpenFailure,
  pendingAfter,
  planArrival,
  planFolder,
  planVanished,
  type RowBefore,
} from "./plan";
import { ARCHIVED_ON_DISK } from "./row-values";
import {
  type FailureRecord,
  getProject,
  getRow,
  lockKey,
  movedRow,
  openFailure,
  openspecDir,
  recordFailure,
  rowByPath,
  saveReconcile,
  setAside,
  softDelete,
  updateRow,
} from "./store";
import type { DiskRead, EditRow, ReconcileOptions, SyncContext, SyncOutcome } from "./types";

/** Fresh reads after losing a race with another process on the same folder (then a failure). */
const RACE_RETRIES = 3;

export const noop = (ref: FolderRef, specId: string | null): SyncOutcome => ({
  specId,
  name: ref.name,
  path: ref.path,
  action: "noop",
  success: true,
  filesChanged: [],
});

/** Take the folder's lock and reconcile it. */
export function syncLocked(
  ctx: SyncContext,
  project: ProjectRow,
  ref: FolderRef,
  trigger: SyncTrigger,
  opts: ReconcileOptions = {},
): Promise<SyncOutcome> {
  return ctx.mutex.run(lockKey(project.id, ref), () =>
    reconcileFolder(ctx, project, ref, trigger, opts),
  );
}

/**
 * Fast path of bulk reconciles: an unchanged fingerprint (stats only, no directory listing; see
 * folderFingerprint) means nothing to do. A noop reads and writes nothing, so no containment
 * check is needed here; any real work resolves the folder inside the root first. Synchronous:
 * run under the folder's lock, or while the lock is free (see KeyedMutex.isFree).
 */
export function unchangedNoop(
  project: ProjectRow,
  ref: FolderRef,
  known: ReconcileOptions["row"],
): SyncOutcome | null {
  const stored = storedFingerprint(known);
  if (!known || !stored) return null;
  const folderAbs = path.join(openspecDir(project), ref.path);
  if (!fingerprintUnchanged(folderAbs, known.files, stored)) return null;
  return noop(ref, known.id);
}

/** The fingerprint a snapshot row can be decided by alone, or null (no row, deleted, work due). */
export function storedFingerprint(known: ReconcileOptions["row"]): string | null {
  return !known || known.deletedAt || known.dirty ? null : known.statFingerprint;
}

/** Reconcile one folder; the caller holds its lock. */
export async function reconcileFolder(
  ctx: SyncContext,
  project: ProjectRow,
  ref: FolderRef,
  trigger: SyncTrigger,
  opts: ReconcileOptions = {},
): Promise<SyncOutcome> {
  const quick = unchangedNoop(project, ref, opts.row);
  if (quick) return quick;
  // Anything else is decided on a fresh, full read of the row, under the lock: a snapshot's
  // "no row here" may be stale (two watcher jobs can race to create the same folder's row).
  return reconcileLocked(ctx, project, ref, trigger, {
    announce: opts.announce ?? true,
    createdAt: opts.createdAt,
  });
}

async function reconcileLocked(
  ctx: SyncContext,
  project: ProjectRow,
  ref: FolderRef,
  trigger: SyncTrigger,
  how: { announce: boolean; createdAt: Date | undefined },
  attempt = 0,
): Promise<SyncOutcome> {
  const { announce } = how;
  const started = Date.now();
  const root = openspecDir(project);
  const failure = { project, ref, trigger, direction: "fs_to_db" as const, started };
  let row: EditRow | undefined;
  try {
    const folderAbs = resolveInside(root, ref.path);
    row = await rowByPath(ctx, project.id, ref.path);
    if (!isFolder(folderAbs)) {
      // Listed but not openable: recorded as a failure the user sees (history, the failed list),
      // not taken for a deleted folder (outside-test F10).
      if (hasUndecodableName(folderAbs)) {
        const error =
          "the folder's name is not valid UTF-8 (shown with U+FFFD): " +
          "it cannot be opened by that name; rename the folder";
        return await fail(ctx, { ...failure, row, error, seen: failureOfMessage(error) });
      }
      return await folderGone(ctx, project, ref, row, trigger, started, announce);
    }
    const arrival = await arrive(ctx, project, ref, row);
    row = arrival.row;
    // read
    const disk = readDisk(folderAbs, root, ref, row);
    if (disk.error) {
      const seen = failureSeen(folderAbs, ref, disk.files, disk.error);
      return await fail(ctx, { ...failure, row, error: disk.error, seen });
    }
    const tempsLeft = await clearTempFiles(ctx, folderAbs, ref, disk.temps);
    // plan
    const before = rowBefore(row, arrival.moved, ref);
    const dbFiles = row ? filesOfRow(row) : {};
    const plan = planFolder(disk.files, row && { ...row, files: dbFiles });
    if (row && isSettled(plan, before))
      return await settle(ctx, folderAbs, ref, row, disk, tempsLeft);
    // flush
    const flush = await flushFolder(ctx, root, ref, plan.flush, plan.files, row?.baseHashes ?? {});
    const done = applyFlush(plan, dbFiles, disk.files, flush.steps);
    // store
    const folder = { folderAbs, ref, disk, tempsLeft };
    const open = row ? await openFailure(ctx, row.id, plan.flush) : null;
    const pending = { open, trigger };
    const write = await reconcileWrite(folder, row, plan, done, flush.error, before, pending);
    const saved = await saveReconcile(ctx, {
      ...write,
      project,
      ref,
      row,
      trigger,
      started,
      createdAt: how.createdAt,
    });
    // publish
    const result = {
      ...saved,
      done,
      flushError: flush.error,
      action: actionOf(done.conflicts, before),
    };
    return publishReconcile(ctx, project, ref, result, announce);
  } catch (err) {
    // Another process (a second server, `specsync archive` in place) synced this folder at the
    // same moment and won: read it again and carry on from what it stored.
    if (attempt < RACE_RETRIES && isConcurrentWriteRace(err))
      return reconcileLocked(ctx, project, ref, trigger, how, attempt + 1);
    const outcome = await fail(ctx, { ...failure, row, error: errorMessage(err) });
    return isDatabaseUnavailable(err) ? { ...outcome, retryable: true } : outcome;
  }
}

function rowBefore(row: EditRow | undefined, moved: boolean, ref: FolderRef): RowBefore {
  return { exists: !!row, deleted: !!row?.deletedAt, moved, archivedNow: ref.archived };
}

/** A folder with no live row here may be a moved one: it takes over the row it was moved from. */
async function arrive(
  ctx: SyncContext,
  project: ProjectRow,
  ref: FolderRef,
  here: EditRow | undefined,
): Promise<{ row: EditRow | undefined; moved: boolean }> {
  if (here && !here.deletedAt) return { row: here, moved: false };
  const arrival = planArrival(here, await movedRow(ctx, project, ref));
  if (arrival.setAside) await setAside(ctx, arrival.setAside);
  return arrival;
}

/** Nothing to import or flush: clear a stale error or pending list, store a fresh fingerprint. */
async function settle(
  ctx: SyncContext,
  folderAbs: string,
  ref: FolderRef,
  row: EditRow,
  disk: DiskRead,
  tempsLeft: number,
): Promise<SyncOutcome> {
  const fingerprint = storableFingerprint(folderAbs, disk, disk.files.keys(), tempsLeft);
  if (fingerprint !== row.statFingerprint || row.syncError || row.pendingFiles.length) {
    await updateRow(ctx, row.id, {
      fileStats: fileStats(disk.files),
      statFingerprint: fingerprint,
      syncError: null,
      pendingFiles: [],
      lastSyncedAt: new Date(),
      fileModifiedAt: folderModifiedAt(folderAbs, ref, disk.files),
      // A folder with no tracked file may have become (or stopped being) a wrapper of nested
      // changes.
      ...(disk.files.size === 0 ? { parsed: await parsedOf(folderAbs, ref, {}) } : {}),
    });
  }
  return noop(ref, row.id);
}

/** The row's new values, its history and the conflict it records, once the plan is carried out. */
async function reconcileWrite(
  folder: { folderAbs: string; ref: FolderRef; disk: DiskRead; tempsLeft: number },
  row: EditRow | undefined,
  plan: FolderPlan,
  done: Flushed,
  flushError: string | null,
  before: RowBefore,
  pending: { open: OpenFailure | null; trigger: string },
) {
  const { folderAbs, ref, disk, tempsLeft } = folder;
  const conflict = conflictOf(done.conflicts, row?.conflict ?? null, {
    detectedAt: new Date(),
    fsModifiedAt: latestMtime(done.disk),
    dbModifiedAt: row?.dbModifiedAt ?? null,
  });
  const fingerprint = storableFingerprint(folderAbs, disk, done.disk.keys(), tempsLeft);
  const becameArchived = ref.archived && (!row || row.status !== "archived");
  const now = new Date();
  const values = {
    ...(await folderValues(folderAbs, ref, done.files, done.disk, fingerprint)),
    baseHashes: done.baseHashes,
    pendingFiles: pendingAfter(plan, done, flushError),
    conflict,
    syncError: flushError,
    lastSyncedAt: now,
    updatedAt: now,
    deletedAt: null,
    ...(becameArchived
      ? {
          status: "archived" as const,
          statusChangedAt: now,
          statusChangedBy: ARCHIVED_ON_DISK,
        }
      : {}),
  };
  const histories = historiesOf(plan, done, flushError, before, conflict, pending);
  return { values, histories, conflict: done.conflicts.length ? conflict : null };
}

/** Conflicts and failures are always announced; plain changes only when `announce`. */
function publishReconcile(
  ctx: SyncContext,
  project: ProjectRow,
  ref: FolderRef,
  o: {
    specId: string;
    historyIds: number[];
    flushError: string | null;
    done: Flushed;
    action: SyncOutcome["action"];
  },
  announce: boolean,
): SyncOutcome {
  const { specId, flushError, done } = o;
  const historyId = o.historyIds[0];
  const about = { projectId: project.id, specId, name: ref.name };
  if (done.conflicts.length) {
    ctx.events.publish(
      { type: "conflict_detected", ...about, direction: "fs_to_db" },
      historyId ?? null,
    );
  }
  if (announce) ctx.events.publish({ type: "spec_changed", ...about }, historyId ?? null);
  if (flushError) {
    const last = o.historyIds[o.historyIds.length - 1] ?? null;
    ctx.events.publish(
      { type: "sync_failed", ...about, direction: "db_to_fs", error: flushError },
      last,
    );
  }
  return {
    specId,
    name: ref.name,
    path: ref.path,
    action: o.action,
    success: !flushError,
    ...(flushError ? { error: flushError } : {}),
    filesChanged: [...done.imported, ...done.flushed],
    ...(historyId ? { historyId } : {}),
  };
}

/**
 * The folder is gone: a move (archive) if the change reappears under archive/, else a soft delete.
 */
async function folderGone(
  ctx: SyncContext,
  project: ProjectRow,
  ref: FolderRef,
  row: EditRow | undefined,
  trigger: SyncTrigger,
  started: number,
  announce: boolean,
): Promise<SyncOutcome> {
  const isActiveChange = ref.kind === "change" && !ref.archived;
  const found =
    isActiveChange && row && !row.deletedAt
      ? findArchivedFolder(openspecDir(project), ref.name)
      : null;
  const next = planVanished(row, ref.path, found);
  if (next.kind === "moved") {
    return reconcileLocked(ctx, project, next.to, trigger, { announce, createdAt: undefined });
  }
  if (next.kind === "noop" || !row) return noop(ref, row?.id ?? null);
  const historyId = await softDelete(ctx, project, ref, row, trigger, started);
  if (announce) {
    ctx.events.publish(
      { type: "spec_changed", projectId: project.id, specId: row.id, name: ref.name },
      historyId,
    );
  }
  const filesChanged = Object.keys(row.contentHashes);
  return {
    specId: row.id,
    name: ref.name,
    path: ref.path,
    action: "deleted",
    success: true,
    filesChanged,
    historyId,
  };
}

/** Record a failed folder (row and history) and announce it. */
export async function fail(ctx: SyncContext, f: FailureRecord): Promise<SyncOutcome> {
  const { specId, historyId, unchanged } = await recordFailure(ctx, f);
  const { ref, error, direction } = f;
  // Still failing, nothing moved: not a change, nothing new to announce or record.
  if (unchanged) return { ...noop(ref, specId), success: false, error };
  ctx.events.publish(
    { type: "sync_failed", projectId: f.project.id, specId, name: ref.name, direction, error },
    historyId ?? null,
  );
  const ids = historyId ? { historyId } : {};
  return {
    specId,
    name: ref.name,
    path: ref.path,
    action: "failed",
    success: false,
    error,
    filesChanged: [],
    ...ids,
  };
}

/** Sync one folder (relative to `openspec/`) in both directions, under its lock. */
export function syncPath(
  ctx: SyncContext,
  project: ProjectRow,
  relPath: string,
  trigger: SyncTrigger,
): Promise<SyncOutcome> {
  const ref = classifyFolder(relPath);
  if (ref) return syncLocked(ctx, project, ref, trigger);
  const error = `${relPath} is not a change or spec folder`;
  return Promise.resolve({
    specId: null,
    name: relPath,
    path: relPath,
    action: "failed",
    success: false,
    error,
    filesChanged: [],
  });
}

/** Sync a row's folder (by row id, deleted rows too) in both directions, ignoring any schedule. */
export async function syncSpec(
  ctx: SyncContext,
  specId: string,
  trigger: SyncTrigger,
): Promise<SyncOutcome> {
  const row = await getRow(ctx, specId, true);
  return syncPath(ctx, await getProject(ctx, row.projectId), row.path, trigger);
}

/** The folder of a stored row (its path was classified when the row was made). */
export function folderOfRow(row: { path: string }): FolderRef {
  const ref = classifyFolder(row.path);
  if (!ref) throw new Error(`${row.path} is not a change or spec folder`);
  return ref;
}
