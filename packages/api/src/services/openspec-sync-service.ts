import { existsSync, readdirSync, realpathSync, statSync, type Stats } from "node:fs";
import path from "node:path";
import {
  and,
  eq,
  inArray,
  isNull,
  openspecSpecs,
  projects,
  sql,
  syncChecks,
  syncHistory as syncHistoryTable,
  type Database,
  type FileStat,
  type NewSpecRow,
  type ProjectRow,
  type SpecRow,
} from "@specsync/db";
import { SYNC_DEFAULTS } from "@specsync/settings";
import {
  MAX_CONTENT_BYTES,
  type ConflictDetails,
  type ConflictResolution,
  type OpenConflict,
  type ParsedDocument,
  type SyncAction,
  type SyncTrigger,
} from "@specsync/validators";
import { getTableColumns } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import { chunk, mapLimit } from "../utils/concurrency";
import { errorMessage, isDatabaseUnavailable, SpecsyncError } from "../utils/errors";
import { removeStaleTempFiles, writeFileAtomic, type AtomicWriteHooks } from "../utils/fs/atomic-write";
import { readTextFileConfined, unlinkConfined } from "../utils/fs/safe-open";
import { resolveInside } from "../utils/fs/safe-path";
import { classifyFolder, isTrackedFile, listTrackedFilesDetailed, scanWorkspace, type FolderRef } from "../utils/fs/scan-workspace";
import { sha256 } from "../utils/hash";
import { findNestedChanges, folderLastModified } from "../utils/fs/change-folder";
import { folderFingerprint } from "../utils/fs/folder-fingerprint";
import { KeyedMutex } from "../utils/keyed-mutex";
import { initialStatusFor } from "@specsync/validators";
import { deriveFieldsOffThread } from "./parse-pool";
import { insertSpecRows } from "./sync/bulk-load";
import type { HistoryService, NewHistory } from "./history-service";
import { contentColumns, filesOfRow, hashFiles, type FileMap } from "./spec-files";
import type { SyncEventBus } from "./sync-events";

export type SyncOutcome = {
  specId: string | null;
  name: string;
  path: string;
  action: SyncAction | "noop";
  success: boolean;
  error?: string;
  filesChanged: string[];
  historyId?: number;
  /** The database was unreachable: nothing was decided, try again later. */
  retryable?: boolean;
};

export type SyncSummary = { total: number; succeeded: number; failed: number; changed: number; outcomes: SyncOutcome[] };

/** Where a file stands in the three-way comparison of disk, database and last-synced base. */
export type FileState = "clean" | "fs_changed" | "db_changed" | "converged" | "conflict";
export type FileStatus = { file: string; state: FileState; diskHash: string | null; dbHash: string | null; baseHash: string | null };

export type SyncServiceOptions = {
  database: Database;
  history: HistoryService;
  events: SyncEventBus;
  writeHooks?: AtomicWriteHooks;
  log?: (msg: string) => void;
};

type DiskFile = { hash: string; content?: string; stat: Stats };

/** Every column but the search vector, which only SQL reads (and which is large). */
const { search: _search, ...rowColumns } = getTableColumns(openspecSpecs);

/** What an edit reads: everything but the parsed structure (large, and recomputed from the files anyway). */
const { parsed: _parsed, ...editColumns } = rowColumns;
type EditRow = Omit<SpecRow, "parsed">;

/** The columns a no-op check needs; anything more is read fresh, under the folder's lock. */
const syncStateColumns = {
  id: openspecSpecs.id,
  path: openspecSpecs.path,
  kind: openspecSpecs.kind,
  name: openspecSpecs.name,
  deletedAt: openspecSpecs.deletedAt,
  statFingerprint: openspecSpecs.statFingerprint,
  lastSyncedAt: openspecSpecs.lastSyncedAt,
  /** Tracked files at the last sync: what the fingerprint check stats. */
  files: sql<string[]>`(select coalesce(jsonb_agg(k), '[]'::jsonb) from jsonb_object_keys(${openspecSpecs.fileStats}) k)`,
  /** Something to do even if no file changed: a pending flush, an error to clear, an open conflict check. */
  dirty: sql<boolean>`(jsonb_array_length(${openspecSpecs.pendingFiles}) > 0 or ${openspecSpecs.syncError} is not null)`,
};
export type SyncStateRow = { id: string; path: string; kind: SpecRow["kind"]; name: string; deletedAt: Date | null; statFingerprint: string | null; lastSyncedAt: Date | null; files: string[]; dirty: boolean };

/**
 * What a bulk caller already knows about a folder. `row: null` means "no row at this path";
 * `moveCandidates` lists names that have a vanished or deleted row (only those can be moves);
 * `quiet` suppresses per-folder events (a bulk sync announces itself once).
 */
type ReconcileHints = { row?: SyncStateRow | null; moveCandidates?: ReadonlySet<string>; quiet?: boolean };
/** `trusted`: no symlinks and no directories off the tracked paths, so a folder fingerprint covers everything. */
type DiskRead = { files: Map<string, DiskFile>; error: string | null; temps: string[]; trusted: boolean };

const now = () => new Date();

/** The entries of `values` that differ from `row` (deep for JSON values). */
function changedValues<T extends object>(values: T, row: object): Partial<T> {
  const out: Record<string, unknown> = {};
  const current = row as Record<string, unknown>;
  for (const [k, v] of Object.entries(values)) {
    const cur = current[k];
    // Dates by their milliseconds: String(date) has whole seconds, so an mtime later in the same second was dropped.
    const same = v instanceof Date || cur instanceof Date ? (v instanceof Date ? v.getTime() : v) === (cur instanceof Date ? cur.getTime() : cur) : typeof v === "object" && v !== null ? JSON.stringify(v) === JSON.stringify(cur) : v === cur;
    if (!same) out[k] = v;
  }
  return out as Partial<T>;
}
/** What the stage of a newly imported folder is computed from (its status starts from it). */
function derivedStage(ref: FolderRef, values: object) {
  const v = values as { tasksTotal?: number; tasksCompleted?: number };
  return { archived: ref.archived, tasksTotal: v.tasksTotal ?? 0, tasksCompleted: v.tasksCompleted ?? 0 };
}

/** Rows per multi-row INSERT when importing new folders. */
const CREATE_BATCH = 50;

function statOf(s: Stats): FileStat {
  return { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
}

function sameStat(a: FileStat | undefined, b: Stats): boolean {
  return !!a && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/**
 * The sync engine. Files are the truth: every change is found by comparing content hashes of
 * disk, database and the last-synced base (three-way), never by clock times.
 */
export class OpenSpecSyncService {
  readonly mutex = new KeyedMutex();
  private readonly db;

  constructor(private readonly opts: SyncServiceOptions) {
    this.db = opts.database.db;
  }

  // ---------------------------------------------------------------- projects

  async ensureProject(rootPath: string, name?: string): Promise<ProjectRow> {
    const root = path.resolve(rootPath);
    await this.db
      .insert(projects)
      .values({ rootPath: root, name: name ?? path.basename(root) })
      .onConflictDoNothing({ target: projects.rootPath });
    const [row] = await this.db.select().from(projects).where(eq(projects.rootPath, root));
    return row!;
  }

  /** Projects never change their root, so they are cached (the edit path needs one per call). */
  private readonly projectCache = new Map<string, ProjectRow>();

  async getProject(id: string): Promise<ProjectRow> {
    const cached = this.projectCache.get(id);
    if (cached) return cached;
    const [row] = await this.db.select().from(projects).where(eq(projects.id, id));
    if (!row) throw new SpecsyncError("NOT_FOUND", `project ${id} not found`);
    this.projectCache.set(id, row);
    return row;
  }

  forgetProject(id: string): void {
    this.projectCache.delete(id);
  }

  openspecDir(project: ProjectRow): string {
    return path.join(project.rootPath, "openspec");
  }

  // ---------------------------------------------------------------- filesystem → database

  /** Sync one folder (relative to `openspec/`) in both directions. Never throws: failures are outcomes. */
  async syncFolder(project: ProjectRow, relPath: string, trigger: SyncTrigger): Promise<SyncOutcome> {
    const ref = classifyFolder(relPath);
    if (!ref) return { specId: null, name: relPath, path: relPath, action: "failed", success: false, error: `${relPath} is not a change or spec folder`, filesChanged: [] };
    return this.mutex.run(this.lockKey(project.id, ref), () => this.reconcileLocked(project, ref, trigger));
  }

  /** Sync the row's folder (by row id) in both directions, ignoring any schedule. */
  async syncSpec(specId: string, trigger: SyncTrigger): Promise<SyncOutcome> {
    const row = await this.getRow(specId, true);
    const project = await this.getProject(row.projectId);
    return this.syncFolder(project, row.path, trigger);
  }

  /**
   * Reconcile a whole project: every folder on disk, plus every row whose folder is gone.
   * `only` narrows the folders (the scheduler passes archived/stale ones).
   */
  async syncProject(
    project: ProjectRow,
    trigger: SyncTrigger,
    options: { concurrency?: number; only?: (ref: FolderRef, row: SyncStateRow | undefined) => boolean } = {},
  ): Promise<SyncSummary> {
    const started = Date.now();
    if (trigger !== "periodic") this.opts.events.publish({ type: "sync_started", projectId: project.id, specId: null, name: project.name });
    const openspecDir = this.openspecDir(project);
    if (!existsSync(openspecDir)) {
      const error = `no openspec/ folder at ${project.rootPath}`;
      await this.opts.history.record({ projectId: project.id, direction: "fs_to_db", trigger, action: "failed", success: false, error, durationMs: Date.now() - started });
      this.opts.events.publish({ type: "sync_failed", projectId: project.id, specId: null, name: project.name, error });
      return { total: 0, succeeded: 0, failed: 1, changed: 0, outcomes: [{ specId: null, name: project.name, path: "", action: "failed", success: false, error, filesChanged: [] }] };
    }
    const refs = scanWorkspace(openspecDir);
    const rows = await this.db.select(syncStateColumns).from(openspecSpecs).where(eq(openspecSpecs.projectId, project.id));
    const byPath = new Map(rows.map((r) => [r.path, r]));
    const onDisk = new Set(refs.map((r) => r.path));
    const targets: FolderRef[] = refs.filter((ref) => !options.only || options.only(ref, byPath.get(ref.path)));
    // Rows whose folder vanished: moved (archive) or deleted. Visiting their old path resolves both.
    for (const row of rows) {
      if (row.deletedAt || onDisk.has(row.path)) continue;
      const ref = classifyFolder(row.path);
      if (ref && (!options.only || options.only(ref, row))) targets.push(ref);
    }
    const moveCandidates = new Set(rows.filter((r) => r.deletedAt || !onDisk.has(r.path)).map((r) => r.name));
    const summary = await this.reconcileMany(
      project,
      targets.map((ref) => ({ ref, row: byPath.get(ref.path) ?? null })),
      trigger,
      options.concurrency ?? SYNC_DEFAULTS.concurrency,
      moveCandidates,
    );
    const { outcomes, failed, changed } = summary;
    if (!options.only) await this.db.update(projects).set({ lastFullSyncAt: now() }).where(eq(projects.id, project.id));
    // After a bulk import the planner's statistics are stale (it guessed 59 rows for 8,000 and
    // picked a plan 20× slower for the list query); refresh them rather than wait for autovacuum.
    if (changed >= 200) await this.opts.database.query("analyze openspec_specs").catch(() => {});
    if (trigger !== "periodic" || changed > 0) {
      this.opts.events.publish({ type: failed ? "sync_failed" : "sync_completed", projectId: project.id, specId: null, name: project.name, ...(failed ? { error: `${failed} of ${outcomes.length} failed` } : {}) });
    }
    this.opts.log?.(`sync ${project.name} (${trigger}): ${outcomes.length} folders, ${changed} changed, ${failed} failed in ${Date.now() - started} ms`);
    return summary;
  }

  /** Reconcile known rows (the scheduler's stale batch) without re-reading each row first. */
  async syncRows(project: ProjectRow, rows: SyncStateRow[], trigger: SyncTrigger, concurrency: number = SYNC_DEFAULTS.concurrency): Promise<SyncSummary> {
    const items = rows.flatMap((row) => {
      const ref = classifyFolder(row.path);
      return ref ? [{ ref, row }] : [];
    });
    return this.reconcileMany(project, items, trigger, concurrency);
  }

  /** Folders on disk with no row, and live rows whose folder is gone: what a watcher may have missed. */
  async discover(project: ProjectRow, trigger: SyncTrigger, concurrency: number = SYNC_DEFAULTS.concurrency): Promise<SyncSummary> {
    const dir = this.openspecDir(project);
    if (!existsSync(dir)) return { total: 0, succeeded: 0, failed: 0, changed: 0, outcomes: [] };
    const refs = scanWorkspace(dir);
    const rows = await this.db
      .select({ path: openspecSpecs.path, deletedAt: openspecSpecs.deletedAt })
      .from(openspecSpecs)
      .where(eq(openspecSpecs.projectId, project.id));
    const live = new Set(rows.filter((r) => !r.deletedAt).map((r) => r.path));
    const onDisk = new Set(refs.map((r) => r.path));
    const items = [
      ...refs.filter((r) => !live.has(r.path)),
      ...[...live].filter((p) => !onDisk.has(p)).flatMap((p) => classifyFolder(p) ?? []),
    ].map((ref) => ({ ref, row: undefined }));
    return this.reconcileMany(project, items, trigger, concurrency, undefined);
  }

  private async reconcileMany(
    project: ProjectRow,
    items: { ref: FolderRef; row: SyncStateRow | null | undefined }[],
    trigger: SyncTrigger,
    concurrency: number,
    moveCandidates?: ReadonlySet<string>,
  ): Promise<SyncSummary> {
    // Many folders at once: one summary event instead of one per folder.
    const quiet = items.length > 20;
    // Folders with no row that cannot be moves are imported in batches; the rest one by one.
    const isNew = (i: (typeof items)[number]) => i.row === null && !!moveCandidates && !moveCandidates.has(i.ref.name) && quiet;
    const batches = chunk(items.filter(isNew).map((i) => i.ref), CREATE_BATCH);
    const created = (await mapLimit(batches, Math.max(1, Math.floor(concurrency / 5)), (refs) => this.createBatch(project, refs, trigger))).flat();
    const others = await mapLimit(items.filter((i) => !isNew(i)), concurrency, ({ ref, row }) =>
      this.mutex.run(this.lockKey(project.id, ref), () => this.reconcileLocked(project, ref, trigger, { row, moveCandidates, quiet })),
    );
    const outcomes = [...created, ...others];
    // Unchanged rows only get their lastSyncedAt bumped, in one statement per chunk.
    const noops = outcomes.filter((o) => o.action === "noop" && o.specId).map((o) => o.specId!);
    for (const ids of chunk(noops, 5000)) {
      // A narrow side table and one array literal parameter: cheap even for thousands of rows.
      await this.db.execute(
        sql`insert into ${syncChecks} (spec_id, checked_at) select unnest(${`{${ids.join(",")}}`}::uuid[]), now()
            on conflict (spec_id) do update set checked_at = excluded.checked_at`,
      );
    }
    const failed = outcomes.filter((o) => !o.success).length;
    const changed = outcomes.filter((o) => o.action !== "noop").length;
    return { total: outcomes.length, succeeded: outcomes.length - failed, failed, changed, outcomes };
  }

  private lockKey(projectId: string, ref: Pick<FolderRef, "kind" | "name">): string {
    return `${projectId}:${ref.kind}:${ref.name}`;
  }

  /** A row's project, kind and name never change (a move keeps the name), so its lock key is cached. */
  private readonly rowKeys = new Map<string, string>();

  private async lockKeyOfRow(id: string): Promise<string> {
    const cached = this.rowKeys.get(id);
    if (cached) return cached;
    const [row] = await this.db.select({ projectId: openspecSpecs.projectId, kind: openspecSpecs.kind, name: openspecSpecs.name }).from(openspecSpecs).where(eq(openspecSpecs.id, id));
    if (!row) throw new SpecsyncError("NOT_FOUND", `spec ${id} not found`);
    if (this.rowKeys.size >= 10_000) this.rowKeys.clear();
    const key = this.lockKey(row.projectId, row);
    this.rowKeys.set(id, key);
    return key;
  }

  private async rowByPath(projectId: string, relPath: string): Promise<EditRow | undefined> {
    const [row] = await this.db
      .select(editColumns)
      .from(openspecSpecs)
      .where(and(eq(openspecSpecs.projectId, projectId), eq(openspecSpecs.path, relPath)));
    return row;
  }

  async getRow(id: string, includeDeleted = false): Promise<SpecRow> {
    const [row] = await this.db.select(rowColumns).from(openspecSpecs).where(eq(openspecSpecs.id, id));
    if (!row || (!includeDeleted && row.deletedAt)) throw new SpecsyncError("NOT_FOUND", `spec ${id} not found`);
    return row;
  }

  /** A row of the same change whose folder is gone: the source of a move (archive, un-archive, rename of date). */
  private async movedRow(project: ProjectRow, ref: FolderRef): Promise<EditRow | undefined> {
    const candidates = await this.db
      .select(editColumns)
      .from(openspecSpecs)
      .where(and(eq(openspecSpecs.projectId, project.id), eq(openspecSpecs.kind, ref.kind), eq(openspecSpecs.name, ref.name)));
    const dir = this.openspecDir(project);
    const gone = candidates.filter((r) => r.path !== ref.path && !existsSync(path.join(dir, r.path)));
    // Prefer a live row, then the most recently updated one.
    gone.sort((a, b) => Number(!!a.deletedAt) - Number(!!b.deletedAt) || b.updatedAt.getTime() - a.updatedAt.getTime());
    return gone[0];
  }

  /** Where an active change went when its folder vanished: `changes/archive/<date>-<name>`, if present. */
  private findArchivedFolder(project: ProjectRow, name: string): FolderRef | null {
    const archiveDir = path.join(this.openspecDir(project), "changes", "archive");
    let entries: string[];
    try {
      entries = readdirSync(archiveDir);
    } catch {
      return null;
    }
    const match = entries.filter((e) => !e.startsWith(".") && classifyFolder(`changes/archive/${e}`)?.name === name).sort().pop();
    return match ? classifyFolder(`changes/archive/${match}`) : null;
  }

  /**
   * Stat the tracked files of a folder. The folder was resolved inside the root by the caller;
   * only paths reached through a symlink need the full containment check.
   */
  private statFolder(folderAbs: string, openspecDir: string, ref: FolderRef): { files: Map<string, { stat: Stats }>; error: string | null; temps: string[]; trusted: boolean } {
    const files = new Map<string, { stat: Stats }>();
    const errors: string[] = [];
    const temps: string[] = [];
    const dirs: string[] = [];
    const tracked = listTrackedFilesDetailed(folderAbs, ref.kind, temps, dirs);
    const onPaths = new Set(tracked.flatMap(({ file }) => file.split("/").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("/"))));
    const trusted = this.isPlainFolder(folderAbs, openspecDir, ref) && tracked.every((t) => !t.viaSymlink) && dirs.every((d) => onPaths.has(d));
    for (const { file, viaSymlink } of tracked) {
      try {
        const abs = path.join(folderAbs, file);
        if (viaSymlink) resolveInside(openspecDir, `${ref.path}/${file}`);
        files.set(file, { stat: statSync(abs) });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // vanished between listing and stat
        errors.push(`${file}: ${errorMessage(err).replace(openspecDir + path.sep, "")}`);
      }
    }
    return { files, error: errors.length ? errors.join("; ") : null, temps, trusted };
  }

  /** No symlink on the way from `openspec/` to the folder (the scan knows; otherwise ask realpath). */
  private isPlainFolder(folderAbs: string, openspecDir: string, ref: FolderRef): boolean {
    if (ref.viaSymlink !== undefined) return !ref.viaSymlink;
    try {
      return realpathSync.native(folderAbs) === path.join(realpathSync.native(openspecDir), ...ref.path.split("/"));
    } catch {
      return false;
    }
  }

  /** Read the tracked files of a folder, hashing only those whose stat changed since the last sync. */
  private readDisk(folderAbs: string, openspecDir: string, ref: FolderRef, row: EditRow | undefined): DiskRead {
    const stats = this.statFolder(folderAbs, openspecDir, ref);
    const files = new Map<string, DiskFile>();
    const errors: string[] = stats.error ? [stats.error] : [];
    for (const [file, { stat }] of stats.files) {
      const base = row?.baseHashes[file];
      if (base && row && sameStat(row.fileStats[file], stat)) {
        files.set(file, { hash: base, stat });
        continue;
      }
      try {
        const text = readTextFileConfined(openspecDir, path.join(folderAbs, file));
        files.set(file, { hash: sha256(text.bytes), content: text.content, stat: text.stat });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
        errors.push(`${file}: ${errorMessage(err).replace(openspecDir + path.sep, "")}`);
      }
    }
    return { files, error: errors.length ? errors.join("; ") : null, temps: stats.temps, trusted: stats.trusted };
  }

  /** Three-way state of every file known to disk, database or base. */
  private compare(disk: Map<string, DiskFile>, row: EditRow | undefined): FileStatus[] {
    const names = new Set([...disk.keys(), ...Object.keys(row?.contentHashes ?? {}), ...Object.keys(row?.baseHashes ?? {})]);
    return [...names].sort().map((file) => {
      const diskHash = disk.get(file)?.hash ?? null;
      const dbHash = row?.contentHashes[file] ?? null;
      const baseHash = row?.baseHashes[file] ?? null;
      let state: FileState;
      if (diskHash === baseHash) state = dbHash === baseHash ? "clean" : "db_changed";
      else if (dbHash === baseHash) state = "fs_changed";
      else state = diskHash === dbHash ? "converged" : "conflict";
      return { file, state, diskHash, dbHash, baseHash };
    });
  }

  /** The core: reconcile one folder. Caller holds the folder's mutex. */
  private async reconcileLocked(project: ProjectRow, ref: FolderRef, trigger: SyncTrigger, hints: ReconcileHints = {}): Promise<SyncOutcome> {
    const started = Date.now();
    const openspecDir = this.openspecDir(project);
    const bulk = hints.row !== undefined;
    const base = { name: ref.name, path: ref.path };
    const light = hints.row ?? undefined;
    let row: EditRow | undefined;
    try {
      if (bulk) {
        // Fast path of bulk reconciles: an unchanged fingerprint (stats only, no directory listing; see
        // folderFingerprint) means nothing to do. A noop reads and writes nothing, so no containment check
        // is needed here; any real work below resolves the folder inside the root first.
        if (light && !light.deletedAt && !light.dirty && light.statFingerprint) {
          if (folderFingerprint(path.join(openspecDir, ref.path), light.files) === light.statFingerprint) {
            return { specId: light.id, ...base, action: "noop", success: true, filesChanged: [] };
          }
        }
        // Anything else is decided on a fresh, full read of the row, under the lock: a snapshot's
        // "no row here" may be stale (two watcher jobs can race to create the same folder's row).
        return this.reconcileLocked(project, ref, trigger, { quiet: hints.quiet });
      }
      const folderAbs = resolveInside(openspecDir, ref.path);
      row = await this.rowByPath(project.id, ref.path);
      if (!existsSync(folderAbs)) return await this.folderGone(project, ref, row, trigger, started, hints.quiet);
      let moved = false;
      if (!row || row.deletedAt) {
        const source = await this.movedRow(project, ref);
        if (source && (!row || !source.deletedAt)) {
          // A moved folder keeps its row. A deleted row already at the new path is moved aside, not
          // dropped: it still holds the last content of a folder that was deleted (nothing lost).
          if (row) await this.db.update(openspecSpecs).set({ path: `${row.path}~deleted-${row.id.slice(0, 8)}` }).where(eq(openspecSpecs.id, row.id));
          row = source;
          moved = true;
        }
      }
      const disk = this.readDisk(folderAbs, openspecDir, ref, row);
      if (disk.error) return await this.recordFailure(project, ref, row, trigger, "fs_to_db", disk.error, started);
      let tempsLeft = disk.temps.length;
      if (disk.temps.length) {
        // A write that never finished (crash, kill -9) left its temp file behind: clear it.
        const removed = await removeStaleTempFiles(folderAbs, disk.temps);
        tempsLeft -= removed.length;
        if (removed.length) this.opts.log?.(`removed temp files of interrupted writes in ${ref.path}: ${removed.join(", ")}`);
      }
      // Recomputed after any flush below.
      const fingerprintOf = () => this.storableFingerprint(folderAbs, disk, tempsLeft);

      const statuses = this.compare(disk.files, row);
      const changed = statuses.filter((s) => s.state !== "clean");
      const stats = this.fileStats(disk.files);
      if (row && !moved && !row.deletedAt && changed.length === 0) {
        const fingerprint = fingerprintOf();
        if (fingerprint !== row.statFingerprint || row.syncError || row.pendingFiles.length) {
          await this.db
            .update(openspecSpecs)
            .set({
              fileStats: stats,
              statFingerprint: fingerprint,
              syncError: null,
              pendingFiles: [],
              lastSyncedAt: now(),
              fileModifiedAt: this.folderModifiedAt(folderAbs, ref, disk.files),
              // A folder with no tracked file may have become (or stopped being) a wrapper of nested changes.
              ...(disk.files.size === 0 ? { parsed: await this.parsedOf(folderAbs, ref, {}) } : {}),
            })
            .where(eq(openspecSpecs.id, row.id));
        }
        return { specId: row.id, ...base, action: "noop", success: true, filesChanged: [] };
      }
      const full = row;

      const dbFiles = full ? filesOfRow(full) : {};
      const files: FileMap = { ...dbFiles };
      const previous: Record<string, string | null> = {};
      const imported: string[] = [];
      const conflicts: string[] = [];
      for (const s of changed) {
        if (s.state === "db_changed") continue;
        if (s.state === "conflict") conflicts.push(s.file);
        if (s.state !== "converged") {
          previous[s.file] = dbFiles[s.file] ?? null;
          imported.push(s.file);
        }
        const d = disk.files.get(s.file);
        if (d) files[s.file] = d.content ?? dbFiles[s.file]!;
        else delete files[s.file];
      }
      const toFlush = changed.filter((s) => s.state === "db_changed").map((s) => s.file);
      const baseHashes = { ...(full?.baseHashes ?? {}) };
      for (const [f, d] of disk.files) baseHashes[f] = d.hash;
      for (const f of Object.keys(baseHashes)) if (!disk.files.has(f)) delete baseHashes[f];

      // Flush database-only edits (pending after an earlier failed write), re-checking each file first.
      const flushed: string[] = [];
      const flushPrevious: Record<string, string | null> = {};
      let flushError: string | null = null;
      for (const file of toFlush) {
        const abs = resolveInside(openspecDir, `${ref.path}/${file}`);
        const content = files[file];
        const expectedHash = full!.baseHashes[file] ?? null;
        // Changed under us since we read it: the file wins, the database edit is kept in history.
        const fileWins = (current: ReturnType<typeof this.readCurrent>) => {
          conflicts.push(file);
          previous[file] = dbFiles[file] ?? null;
          imported.push(file);
          if (current) {
            files[file] = current.content;
            baseHashes[file] = current.hash;
            disk.files.set(file, { hash: current.hash, content: current.content, stat: current.stat });
          } else {
            delete files[file];
            delete baseHashes[file];
          }
        };
        try {
          if (content === undefined) {
            const current = this.readCurrent(abs, openspecDir);
            if ((current?.hash ?? null) !== expectedHash) {
              fileWins(current);
              continue;
            }
            flushPrevious[file] = current?.content ?? null;
            unlinkConfined(openspecDir, abs);
          } else {
            // The guarded write re-checks the file right before replacing it, and returns what it replaced.
            try {
              flushPrevious[file] = (await writeFileAtomic(abs, content, { ...this.opts.writeHooks, expectedHash, root: openspecDir })).replaced;
            } catch (err) {
              if (!(err instanceof SpecsyncError && err.code === "CONFLICT")) throw err;
              fileWins(this.readCurrent(abs, openspecDir));
              continue;
            }
          }
          flushed.push(file);
          if (content === undefined) {
            delete baseHashes[file];
            disk.files.delete(file);
          } else {
            const s = statSync(abs);
            baseHashes[file] = sha256(content);
            disk.files.set(file, { hash: baseHashes[file], stat: s });
          }
        } catch (err) {
          flushError = `${file}: ${errorMessage(err)}`;
        }
      }

      const becameArchived = ref.archived && (!full || full.status !== "archived");
      const conflict: OpenConflict | null = conflicts.length
        ? { files: conflicts, detectedAt: now().toISOString(), fsModifiedAt: this.latestMtime(disk.files)?.toISOString() ?? null, dbModifiedAt: full?.dbModifiedAt?.toISOString() ?? null, historyId: null }
        : (full?.conflict ?? null);
      const values: PgUpdateSetSource<typeof openspecSpecs> = {
        ...(await this.folderValues(folderAbs, ref, files, disk.files, fingerprintOf())),
        baseHashes,
        pendingFiles: flushError ? toFlush.filter((f) => !flushed.includes(f) && !conflicts.includes(f)) : [],
        conflict,
        syncError: flushError,
        lastSyncedAt: now(),
        updatedAt: now(),
        deletedAt: null,
        ...(becameArchived ? { status: "archived" as const, statusChangedAt: now(), statusChangedBy: "specsync (archived on disk)" } : {}),
      };

      const action: SyncAction = conflicts.length ? "conflict" : !full ? "created" : moved && ref.archived ? "archived" : full.deletedAt ? "created" : "updated";
      const histories: NewHistory[] = [];
      const conflictDetails: ConflictDetails | null = conflicts.length
        ? { files: conflicts, fsModifiedAt: conflict!.fsModifiedAt, dbModifiedAt: conflict!.dbModifiedAt, resolution: "filesystem_wins", automatic: true }
        : null;
      if (imported.length || moved || !full || full.deletedAt) {
        histories.push({ direction: "fs_to_db", trigger, action, success: true, filesChanged: imported, conflict: conflictDetails, previousContent: Object.keys(previous).length ? previous : null });
      }
      if (flushed.length) histories.push({ direction: "db_to_fs", trigger, action: "flushed", success: true, filesChanged: flushed, previousContent: flushPrevious });
      if (flushError) histories.push({ direction: "db_to_fs", trigger, action: "failed", success: false, error: flushError, filesChanged: toFlush.filter((f) => !flushed.includes(f)) });

      const { specId, historyIds } = await this.db.transaction(async (tx) => {
        if (full && !conflicts.length) {
          // The usual case: the row update and its history rows do not depend on each other, so they are
          // pipelined on the transaction's connection (one round trip instead of one per statement).
          const [, ...inserted] = await Promise.all([
            tx.update(openspecSpecs).set(changedValues(values, full)).where(eq(openspecSpecs.id, full.id)),
            ...histories.map((h) =>
              tx.insert(syncHistoryTable).values({ ...h, specId: full.id, projectId: project.id, name: ref.name, durationMs: Date.now() - started }).returning({ id: syncHistoryTable.id }),
            ),
          ]);
          return { specId: full.id, historyIds: (inserted as { id: number }[][]).map(([r]) => r!.id) };
        }
        let id: string;
        if (full) {
          // Only what changed goes over the wire: unchanged content is not re-sent, re-TOASTed or re-indexed.
          await tx.update(openspecSpecs).set(changedValues(values, full)).where(eq(openspecSpecs.id, full.id));
          id = full.id;
        } else {
          const [inserted] = await tx
            .insert(openspecSpecs)
            .values({ ...values, projectId: project.id, kind: ref.kind, name: ref.name, path: ref.path, status: initialStatusFor(derivedStage(ref, values)) } as NewSpecRow)
            .returning({ id: openspecSpecs.id });
          id = inserted!.id;
        }
        const ids: number[] = [];
        for (const h of histories) {
          const [r] = await tx.insert(syncHistoryTable).values({ ...h, specId: id, projectId: project.id, name: ref.name, durationMs: Date.now() - started }).returning({ id: syncHistoryTable.id });
          ids.push(r!.id);
        }
        if (conflicts.length) {
          await tx.update(openspecSpecs).set({ conflict: { ...conflict!, historyId: ids[0] ?? null } }).where(eq(openspecSpecs.id, id));
        }
        return { specId: id, historyIds: ids };
      });

      const historyId = historyIds[0];
      // Conflicts and failures are always announced; plain changes only outside bulk syncs.
      if (conflicts.length) this.opts.events.publish({ type: "conflict_detected", projectId: project.id, specId, name: ref.name, direction: "fs_to_db" }, historyId ?? null);
      if (!hints.quiet) this.opts.events.publish({ type: "spec_changed", projectId: project.id, specId, name: ref.name }, historyId ?? null);
      if (flushError) {
        this.opts.events.publish({ type: "sync_failed", projectId: project.id, specId, name: ref.name, direction: "db_to_fs", error: flushError }, historyIds[historyIds.length - 1] ?? null);
      }
      return { specId, ...base, action, success: !flushError, ...(flushError ? { error: flushError } : {}), filesChanged: [...imported, ...flushed], ...(historyId ? { historyId } : {}) };
    } catch (err) {
      const outcome = await this.recordFailure(project, ref, row ?? light, trigger, "fs_to_db", errorMessage(err), started);
      return isDatabaseUnavailable(err) ? { ...outcome, retryable: true } : outcome;
    }
  }

  /** The fingerprint to store: only when it covers the whole folder (see folderFingerprint), else null. */
  private storableFingerprint(folderAbs: string, disk: DiskRead, tempsLeft: number): string | null {
    return disk.trusted && tempsLeft === 0 ? folderFingerprint(folderAbs, [...disk.files.keys()]) : null;
  }

  /** Everything a row holds that comes from its folder's files: content, parsed fields, hashes, stats. */
  private async folderValues(folderAbs: string, ref: FolderRef, files: FileMap, disk: Map<string, DiskFile>, fingerprint: string | null) {
    const stats = this.fileStats(disk);
    const derived = await deriveFieldsOffThread(ref.kind, ref.name, files);
    return {
      ...contentColumns(ref.kind, files),
      ...derived,
      parsed: this.withNested(folderAbs, ref, files, derived.parsed),
      name: ref.name,
      path: ref.path,
      archived: ref.archived,
      archivedOn: ref.archivedOn,
      contentHashes: hashFiles(files),
      fileStats: stats,
      statFingerprint: fingerprint,
      fileModifiedAt: this.folderModifiedAt(folderAbs, ref, disk),
    };
  }

  /** `openspec list`'s lastModified for an active change (any file, tracked or not); newest tracked file otherwise. */
  private folderModifiedAt(folderAbs: string, ref: FolderRef, disk: Map<string, DiskFile>): Date | null {
    if (ref.kind === "change" && !ref.archived) {
      try {
        return folderLastModified(folderAbs);
      } catch {
        // vanished meanwhile: the next sync sees the folder gone
      }
    }
    return this.latestMtime(disk);
  }

  private async parsedOf(folderAbs: string, ref: FolderRef, files: FileMap) {
    return this.withNested(folderAbs, ref, files, (await deriveFieldsOffThread(ref.kind, ref.name, files)).parsed);
  }

  /** Record nested change folders (only possible when the folder has no tracked file of its own). */
  private withNested(folderAbs: string, ref: FolderRef, files: FileMap, parsed: ParsedDocument): ParsedDocument {
    if (ref.kind !== "change" || ref.archived || Object.keys(files).length) return parsed;
    const nested = findNestedChanges(path.dirname(folderAbs), path.basename(folderAbs));
    return nested ? { ...parsed, nested } : parsed;
  }

  /**
   * Import brand-new folders in one multi-row INSERT (cold start, first sync of a big workspace):
   * far fewer round trips and bytes on the wire than one transaction per folder. Every folder's lock
   * is held until the batch commits; anything unusual (unreadable file, a row that appeared meanwhile)
   * falls back to the one-folder path, which records it properly.
   */
  private async createBatch(project: ProjectRow, refs: FolderRef[], trigger: SyncTrigger): Promise<SyncOutcome[]> {
    const started = Date.now();
    const openspecDir = this.openspecDir(project);
    let release!: () => void;
    const committed = new Promise<void>((r) => (release = r));
    const held: Promise<unknown>[] = [];
    await Promise.all(refs.map((ref) => new Promise<void>((acquired) => held.push(this.mutex.run(this.lockKey(project.id, ref), () => (acquired(), committed))))));
    const outcomes = new Map<string, SyncOutcome>();
    const fallback: FolderRef[] = [];
    try {
      const rows: NewSpecRow[] = [];
      for (const ref of refs) {
        const folderAbs = path.join(openspecDir, ref.path);
        const disk = this.readDisk(folderAbs, openspecDir, ref, undefined);
        if (disk.error || ref.viaSymlink !== false) {
          fallback.push(ref);
          continue;
        }
        const files: FileMap = {};
        for (const [f, d] of disk.files) files[f] = d.content!;
        const values = await this.folderValues(folderAbs, ref, files, disk.files, this.storableFingerprint(folderAbs, disk, disk.temps.length));
        rows.push({ ...values, projectId: project.id, kind: ref.kind, baseHashes: values.contentHashes, lastSyncedAt: now(), status: initialStatusFor(derivedStage(ref, values)) } as NewSpecRow);
      }
      if (rows.length) {
        await this.db.transaction(async (tx) => {
          const rowOf = new Map(rows.map((r) => [r.path, r]));
          const inserted = (await insertSpecRows(tx, rows)).flatMap(({ id, path }) => {
            const r = rowOf.get(path);
            return r ? [{ id, path, name: r.name, contentHashes: r.contentHashes ?? {} }] : [];
          });
          const byPath = new Map(inserted.map((r) => [r.path, r]));
          const histories = inserted.map((r) => ({ specId: r.id, projectId: project.id, name: r.name, direction: "fs_to_db" as const, trigger, action: "created" as const, success: true, filesChanged: Object.keys(r.contentHashes), durationMs: Date.now() - started }));
          const ids = histories.length ? await tx.insert(syncHistoryTable).values(histories).returning({ id: syncHistoryTable.id, specId: syncHistoryTable.specId }) : [];
          const historyOf = new Map(ids.map((h) => [h.specId, h.id]));
          for (const ref of refs) {
            const r = byPath.get(ref.path);
            if (r) outcomes.set(ref.path, { specId: r.id, name: ref.name, path: ref.path, action: "created", success: true, filesChanged: Object.keys(r.contentHashes), historyId: historyOf.get(r.id)! });
            else if (!fallback.includes(ref)) fallback.push(ref); // a row appeared meanwhile
          }
        });
      }
    } finally {
      release();
      await Promise.all(held);
    }
    for (const ref of fallback) outcomes.set(ref.path, await this.mutex.run(this.lockKey(project.id, ref), () => this.reconcileLocked(project, ref, trigger, { quiet: true })));
    return refs.map((ref) => outcomes.get(ref.path)!);
  }

  /** The folder is gone: a move (archive) if the change reappears under archive/, else a soft delete. */
  private async folderGone(project: ProjectRow, ref: FolderRef, row: EditRow | undefined, trigger: SyncTrigger, started: number, quiet = false): Promise<SyncOutcome> {
    const base = { name: ref.name, path: ref.path };
    if (!row || row.deletedAt) return { specId: row?.id ?? null, ...base, action: "noop", success: true, filesChanged: [] };
    if (ref.kind === "change" && !ref.archived) {
      const archived = this.findArchivedFolder(project, ref.name);
      if (archived && archived.path !== ref.path) return this.reconcileLocked(project, archived, trigger, { quiet });
    }
    const h = await this.opts.history.record({
      specId: row.id,
      projectId: project.id,
      name: ref.name,
      direction: "fs_to_db",
      trigger,
      action: "deleted",
      success: true,
      filesChanged: Object.keys(row.contentHashes),
      durationMs: Date.now() - started,
    });
    await this.db.update(openspecSpecs).set({ deletedAt: now(), updatedAt: now(), lastSyncedAt: now() }).where(eq(openspecSpecs.id, row.id));
    if (!quiet) this.opts.events.publish({ type: "spec_changed", projectId: project.id, specId: row.id, name: ref.name }, h.id);
    return { specId: row.id, ...base, action: "deleted", success: true, filesChanged: Object.keys(row.contentHashes), historyId: h.id };
  }

  private async recordFailure(
    project: ProjectRow,
    ref: FolderRef,
    row: { id: string } | undefined,
    trigger: SyncTrigger,
    direction: "fs_to_db" | "db_to_fs",
    error: string,
    started: number,
  ): Promise<SyncOutcome> {
    let specId = row?.id ?? null;
    let historyId: number | undefined;
    try {
      if (row) {
        await this.db.update(openspecSpecs).set({ syncError: error, lastSyncedAt: now() }).where(eq(openspecSpecs.id, row.id));
      } else {
        // A folder we cannot read still shows up, with its error, so nobody wonders where it went.
        const [inserted] = await this.db
          .insert(openspecSpecs)
          .values({ projectId: project.id, kind: ref.kind, name: ref.name, path: ref.path, archived: ref.archived, archivedOn: ref.archivedOn, title: ref.name, syncError: error, lastSyncedAt: now() })
          .onConflictDoUpdate({ target: [openspecSpecs.projectId, openspecSpecs.path], set: { syncError: error, lastSyncedAt: now() } })
          .returning({ id: openspecSpecs.id });
        specId = inserted!.id;
      }
      const h = await this.opts.history.record({ specId, projectId: project.id, name: ref.name, direction, trigger, action: "failed", success: false, error, durationMs: Date.now() - started });
      historyId = h.id;
    } catch (dbErr) {
      this.opts.log?.(`could not record sync failure of ${ref.path}: ${errorMessage(dbErr)} (original error: ${error})`);
    }
    this.opts.events.publish({ type: "sync_failed", projectId: project.id, specId, name: ref.name, direction, error }, historyId ?? null);
    return { specId, name: ref.name, path: ref.path, action: "failed", success: false, error, filesChanged: [], ...(historyId ? { historyId } : {}) };
  }

  private readCurrent(abs: string, root: string): { hash: string; content: string; stat: Stats } | null {
    try {
      const t = readTextFileConfined(root, abs);
      return { hash: sha256(t.bytes), content: t.content, stat: t.stat };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }

  private fileStats(files: Map<string, { stat: Stats }>): Record<string, FileStat> {
    const out: Record<string, FileStat> = {};
    for (const [f, d] of files) out[f] = statOf(d.stat);
    return out;
  }

  private latestMtime(files: Map<string, DiskFile>): Date | null {
    let latest = 0;
    for (const d of files.values()) latest = Math.max(latest, d.stat.mtimeMs);
    // Rounded like Node's stat.mtime (what the CLI prints), not truncated.
    return latest ? new Date(Math.round(latest)) : null;
  }

  // ---------------------------------------------------------------- database → filesystem

  /**
   * Write one file: database first (compare-and-set on the editor's base hash), then an immediate
   * atomic flush. A stale base or a file changed on disk since the last sync is a CONFLICT.
   */
  async writeFile(input: { id: string; file: string; content: string; baseHash: string | null; actor?: string | undefined; trigger?: SyncTrigger }): Promise<{ row: Pick<SpecRow, "id" | "contentHashes">; hash: string; historyId: number | null }> {
    const key = await this.lockKeyOfRow(input.id);
    return this.mutex.run(key, async () => {
      const started = Date.now();
      const trigger = input.trigger ?? "user_edit";
      const [row] = (await this.db.select(editColumns).from(openspecSpecs).where(eq(openspecSpecs.id, input.id))) as EditRow[];
      if (!row || row.deletedAt) throw new SpecsyncError("NOT_FOUND", `spec ${input.id} not found`);
      const project = await this.getProject(row.projectId);
      if (Buffer.byteLength(input.content, "utf8") > MAX_CONTENT_BYTES) {
        throw new SpecsyncError("PAYLOAD_TOO_LARGE", `content is ${Buffer.byteLength(input.content, "utf8")} bytes; the limit is ${MAX_CONTENT_BYTES}`);
      }
      if (input.content.includes("\0")) throw new SpecsyncError("BAD_REQUEST", "content must be text: it contains a NUL byte");
      if (!isTrackedFile(row.kind, input.file)) {
        throw new SpecsyncError("BAD_REQUEST", `${input.file} is not an editable file of a ${row.kind} (proposal.md, tasks.md, design.md, .openspec.yaml, specs/<capability>/spec.md; spec.md for specs)`);
      }
      const openspecDir = this.openspecDir(project);
      const abs = resolveInside(openspecDir, `${row.path}/${input.file}`);
      if (!existsSync(resolveInside(openspecDir, row.path))) {
        // Deleted or moved on disk since the last sync: writing would resurrect a one-file folder.
        await this.reconcileLocked(project, classifyFolder(row.path)!, "file_watcher");
        throw new SpecsyncError("CONFLICT", `the folder ${row.path} was moved or deleted on disk; reload and try again`, { currentHash: null });
      }
      const dbFiles = filesOfRow(row);
      const currentHash = row.contentHashes[input.file] ?? null;
      if (input.baseHash !== currentHash) {
        throw new SpecsyncError("CONFLICT", `${input.file} was changed since you loaded it`, { currentContent: dbFiles[input.file] ?? null, currentHash });
      }
      // The file on disk must still be what we last synced; otherwise import it first (the file wins).
      const disk = this.readCurrent(abs, openspecDir);
      if ((disk?.hash ?? null) !== (row.baseHashes[input.file] ?? null)) {
        await this.reconcileLocked(project, classifyFolder(row.path)!, "file_watcher");
        throw new SpecsyncError("CONFLICT", `${input.file} was changed on disk; the disk version has been loaded`, { currentContent: disk?.content ?? null, currentHash: disk?.hash ?? null });
      }
      const hash = sha256(input.content);
      if (hash === currentHash && hash === (disk?.hash ?? null)) return { row, hash, historyId: null };

      const files = { ...dbFiles, [input.file]: input.content };
      const contentHashes = hashFiles(files);
      const derived = await deriveFieldsOffThread(row.kind, row.name, files);
      // 1. Database first, compare-and-set so two servers cannot both win the same base.
      //    Only changed columns are sent: unchanged content is not re-parsed, re-TOASTed or re-indexed.
      const updated = await this.db
        .update(openspecSpecs)
        .set({
          ...changedValues({ ...contentColumns(row.kind, files), ...derived, contentHashes, pendingFiles: [...new Set([...row.pendingFiles, input.file])] }, row),
          dbModifiedAt: now(),
          updatedAt: now(),
        })
        .where(and(eq(openspecSpecs.id, row.id), sql`(${openspecSpecs.contentHashes} ->> ${input.file}) is not distinct from ${currentHash}`))
        .returning({ id: openspecSpecs.id });
      if (updated.length === 0) {
        throw new SpecsyncError("CONFLICT", `${input.file} was changed by someone else since you loaded it`, { currentHash: null });
      }
      // 2. Immediate atomic flush; the file is re-checked right before the rename replaces it.
      let replaced: string | null = disk?.content ?? null;
      try {
        const written = await writeFileAtomic(abs, input.content, { ...this.opts.writeHooks, expectedHash: row.baseHashes[input.file] ?? null, root: openspecDir });
        // A write that slipped in between the check and the rename: its bytes go to history, not nowhere.
        if (written.replacedHash !== (row.baseHashes[input.file] ?? null)) replaced = written.replaced;
      } catch (err) {
        if (err instanceof SpecsyncError && err.code === "CONFLICT") {
          // The file wins; our edit goes to history through the regular conflict path.
          await this.reconcileLocked(project, classifyFolder(row.path)!, "file_watcher");
          throw err;
        }
        const error = `could not write ${input.file}: ${errorMessage(err)}`;
        await this.db.update(openspecSpecs).set({ syncError: error }).where(eq(openspecSpecs.id, row.id));
        const h = await this.opts.history.record({ specId: row.id, projectId: row.projectId, name: row.name, direction: "db_to_fs", trigger, action: "failed", success: false, error, filesChanged: [input.file], actor: input.actor ?? null, durationMs: Date.now() - started });
        this.opts.events.publish({ type: "sync_failed", projectId: row.projectId, specId: row.id, name: row.name, direction: "db_to_fs", error }, h.id);
        // `kept`: the edit is the database's truth now (hash below); only the disk write is pending.
        throw new SpecsyncError("IO_ERROR", `${error}. Your edit is kept in the database and will be written when the file can be written (sync this change to retry).`, { kept: true, currentHash: contentHashes[input.file] ?? null });
      }
      const s = statSync(abs);
      // 3. Bookkeeping and the history row are independent: on PostgreSQL they run side by side.
      const bookkeeping = this.db
        .update(openspecSpecs)
        .set({
          baseHashes: { ...row.baseHashes, [input.file]: hash },
          fileStats: { ...row.fileStats, [input.file]: statOf(s) },
          statFingerprint: null, // just written: too recent to trust; the next bulk pass reads the folder once
          fileModifiedAt: s.mtime,
          pendingFiles: row.pendingFiles.filter((f) => f !== input.file),
          syncError: null,
          lastSyncedAt: now(),
        })
        .where(eq(openspecSpecs.id, row.id))
        .returning({ id: openspecSpecs.id, contentHashes: openspecSpecs.contentHashes });
      const history = this.opts.history.record({
        specId: row.id,
        projectId: row.projectId,
        name: row.name,
        direction: "db_to_fs",
        trigger,
        action: trigger === "restore" ? "restored" : "flushed",
        success: true,
        filesChanged: [input.file],
        previousContent: { [input.file]: replaced },
        actor: input.actor ?? null,
        durationMs: Date.now() - started,
      });
      const [[final], h] = await Promise.all([bookkeeping, history]);
      this.opts.events.publish({ type: "spec_changed", projectId: row.projectId, specId: row.id, name: row.name, direction: "db_to_fs" }, h.id);
      return { row: final!, hash, historyId: h.id };
    });
  }

  // ---------------------------------------------------------------- conflicts

  /** Per-file three-way state of a change, without changing anything. */
  async detectConflicts(specId: string): Promise<{ files: FileStatus[]; openConflict: OpenConflict | null }> {
    const row = await this.getRow(specId);
    const project = await this.getProject(row.projectId);
    const dir = this.openspecDir(project);
    const ref = classifyFolder(row.path)!;
    const folderAbs = resolveInside(dir, row.path);
    const disk = existsSync(folderAbs) ? this.readDisk(folderAbs, dir, ref, row) : { files: new Map<string, DiskFile>(), error: null };
    if (disk.error) throw new SpecsyncError("IO_ERROR", disk.error);
    return { files: this.compare(disk.files, row), openConflict: row.conflict };
  }

  /**
   * Settle a conflict. `filesystem_wins` keeps the disk (already applied) and closes the conflict;
   * `db_wins` writes the discarded database version back to the files.
   */
  async resolveConflict(specId: string, resolution: ConflictResolution, actor?: string): Promise<SyncOutcome> {
    const before = await this.syncSpec(specId, "conflict_resolution");
    const row = await this.getRow(specId);
    const open = row.conflict;
    if (!open) {
      return { ...before, action: before.action, success: before.success };
    }
    const started = Date.now();
    const written: string[] = [];
    if (resolution === "db_wins" && open.historyId) {
      const kept = await this.opts.history.get(open.historyId);
      for (const file of open.files) {
        const content = kept?.previousContent?.[file];
        if (content === undefined || content === null) continue;
        const current = await this.getRow(specId);
        await this.writeFile({ id: specId, file, content, baseHash: current.contentHashes[file] ?? null, actor, trigger: "conflict_resolution" });
        written.push(file);
      }
    }
    await this.db.update(openspecSpecs).set({ conflict: null }).where(eq(openspecSpecs.id, specId));
    const details: ConflictDetails = { files: open.files, fsModifiedAt: open.fsModifiedAt, dbModifiedAt: open.dbModifiedAt, resolution, automatic: false, ...(open.historyId ? { keptVersionHistoryId: open.historyId } : {}) };
    const h = await this.opts.history.record({
      specId,
      projectId: row.projectId,
      name: row.name,
      direction: resolution === "db_wins" ? "db_to_fs" : "fs_to_db",
      trigger: "conflict_resolution",
      action: "conflict",
      success: true,
      filesChanged: written,
      conflict: details,
      actor: actor ?? null,
      durationMs: Date.now() - started,
    });
    this.opts.events.publish({ type: "spec_changed", projectId: row.projectId, specId, name: row.name }, h.id);
    return { specId, name: row.name, path: row.path, action: "conflict", success: true, filesChanged: written, historyId: h.id };
  }

  /** Bring back a version kept in history: written to the database and flushed to the file. */
  async restore(historyId: number, file: string | undefined, actor?: string): Promise<{ row: Pick<SpecRow, "id" | "contentHashes">; files: string[] }> {
    const h = await this.opts.history.get(historyId);
    if (!h || !h.specId) throw new SpecsyncError("NOT_FOUND", `history entry ${historyId} not found or its change no longer exists`);
    const kept = h.previousContent ?? {};
    const files = file ? [file] : Object.keys(kept);
    if (files.length === 0) throw new SpecsyncError("BAD_REQUEST", `history entry ${historyId} keeps no previous content`);
    let row: Pick<SpecRow, "id" | "contentHashes"> = await this.getRow(h.specId);
    for (const f of files) {
      const content = kept[f];
      if (content === undefined) throw new SpecsyncError("NOT_FOUND", `history entry ${historyId} keeps no version of ${f}`);
      if (content === null) throw new SpecsyncError("BAD_REQUEST", `${f} did not exist in that version; delete it on disk to restore that state`);
      row = (await this.writeFile({ id: h.specId, file: f, content, baseHash: row.contentHashes[f] ?? null, actor, trigger: "restore" })).row;
    }
    return { row, files };
  }

  // ---------------------------------------------------------------- queries the scheduler needs

  /** Rows of a project not synced since `before` (never-synced first). */
  async staleRows(projectId: string, before: Date, limit: number): Promise<SyncStateRow[]> {
    const lastSeen = sql`greatest(${openspecSpecs.lastSyncedAt}, ${syncChecks.checkedAt})`;
    // Pick the ids first (a narrow sort), then read the state of just those: the state includes a
    // per-row JSON expression that would otherwise be computed for every stale row, on every batch.
    const due = await this.db
      .select({ id: openspecSpecs.id })
      .from(openspecSpecs)
      .leftJoin(syncChecks, eq(syncChecks.specId, openspecSpecs.id))
      .where(and(eq(openspecSpecs.projectId, projectId), isNull(openspecSpecs.deletedAt), sql`(${lastSeen} is null or ${lastSeen} < ${before.toISOString()})`))
      .orderBy(sql`${lastSeen} asc nulls first`)
      .limit(limit);
    if (due.length === 0) return [];
    const rows = await this.db.select(syncStateColumns).from(openspecSpecs).where(inArray(openspecSpecs.id, due.map((d) => d.id)));
    const order = new Map(due.map((d, i) => [d.id, i]));
    return rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  }
}
