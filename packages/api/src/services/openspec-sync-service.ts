import type { ProjectRow, SpecRow } from "@specsync/db";
import type { ConflictResolution, OpenConflict, SyncTrigger } from "@specsync/validators";
import { KeyedMutex } from "../utils/keyed-mutex";
import { discover, type ProjectSyncOptions, syncProject, syncRows } from "./sync/bulk";
import {
  detectConflicts,
  resolveConflict,
  restore,
  type WriteInput,
  type WriteResult,
  writeFile,
} from "./sync/edits";
import { withParsedOnRead } from "./sync/parsed-on-read";
import { syncPath, syncSpec } from "./sync/reconcile";
import {
  ensureProject,
  getProject,
  getRow,
  getRowWithoutParsed,
  openspecDir,
  staleRows,
} from "./sync/store";
import type {
  EditRow,
  FileStatus,
  SyncContext,
  SyncOutcome,
  SyncServiceOptions,
  SyncStateRow,
  SyncSummary,
} from "./sync/types";

export type {
  FileState,
  FileStatus,
  SyncOutcome,
  SyncServiceOptions,
  SyncStateRow,
  SyncSummary,
} from "./sync/types";

/**
 * The sync engine's front door. Files are the truth: every change is found by comparing content
 * hashes of disk, database and the last-synced base (three-way), never by clock times. The work is
 * done in `sync/` (docs/architecture.md has the map); this class only holds the shared state.
 */
export class OpenSpecSyncService {
  readonly mutex = new KeyedMutex();
  private readonly ctx: SyncContext;

  constructor(opts: SyncServiceOptions) {
    const shared = {
      mutex: this.mutex,
      projects: new Map(),
      rowKeys: new Map(),
      searchFill: { running: null, checked: false },
      stateCache: new Map(),
    };
    this.ctx = { ...opts, db: opts.database.db, ...shared };
  }

  // ---------------------------------------------------------------- projects

  ensureProject(rootPath: string, name?: string): Promise<ProjectRow> {
    return ensureProject(this.ctx, rootPath, name);
  }

  /** Projects never change their root, so they are cached (the edit path needs one per call). */
  getProject(id: string): Promise<ProjectRow> {
    return getProject(this.ctx, id);
  }

  forgetProject(id: string): void {
    this.ctx.projects.delete(id);
  }

  openspecDir(project: ProjectRow): string {
    return openspecDir(project);
  }

  // ---------------------------------------------------------------- reconcile

  /**
   * Sync one folder (relative to `openspec/`) in both directions. Never throws: failures are
   * outcomes.
   */
  syncFolder(project: ProjectRow, relPath: string, trigger: SyncTrigger): Promise<SyncOutcome> {
    return syncPath(this.ctx, project, relPath, trigger);
  }

  /** Sync the row's folder (by row id) in both directions, ignoring any schedule. */
  syncSpec(specId: string, trigger: SyncTrigger): Promise<SyncOutcome> {
    return syncSpec(this.ctx, specId, trigger);
  }

  /**
   * Reconcile a whole project: every folder on disk, plus every row whose folder is gone.
   * `only` narrows the folders (the scheduler passes archived/stale ones).
   */
  syncProject(
    project: ProjectRow,
    trigger: SyncTrigger,
    options: ProjectSyncOptions = {},
  ): Promise<SyncSummary> {
    return syncProject(this.ctx, project, trigger, options);
  }

  /** Reconcile known rows (the scheduler's stale batch) without re-reading each row first. */
  syncRows(
    project: ProjectRow,
    rows: SyncStateRow[],
    trigger: SyncTrigger,
    concurrency?: number,
  ): Promise<SyncSummary> {
    return syncRows(this.ctx, project, rows, trigger, concurrency);
  }

  /**
   * Folders on disk with no row, and live rows whose folder is gone: what a watcher may have
   * missed.
   */
  discover(project: ProjectRow, trigger: SyncTrigger, concurrency?: number): Promise<SyncSummary> {
    return discover(this.ctx, project, trigger, concurrency);
  }

  /**
   * Settles once the search vectors a bulk import left out are filled (at once when none is
   * being filled). Search is correct before too, only slower for those rows.
   */
  searchFilled(): Promise<void> {
    return this.ctx.searchFill.running ?? Promise.resolve();
  }

  /**
   * The row without `parsed`, for readers that do not hand the row out (sync status, edits,
   * lifecycle checks): an archived change's `parsed` is not stored, and deriving it is a parse.
   */
  getRow(id: string, includeDeleted = false): Promise<EditRow> {
    return getRowWithoutParsed(this.ctx, id, includeDeleted);
  }

  /**
   * The whole row as an API hands it out, an archived change's `parsed` derived (it is not
   * stored: parsed-on-read.ts).
   */
  async getRowWithParsed(id: string, includeDeleted = false): Promise<SpecRow> {
    return withParsedOnRead(await getRow(this.ctx, id, includeDeleted));
  }

  // ---------------------------------------------------------------- edits

  /**
   * Write one file: database first (compare-and-set on the editor's base hash), then an immediate
   * atomic flush. A stale base or a file changed on disk since the last sync is a CONFLICT.
   */
  writeFile(input: WriteInput): Promise<WriteResult> {
    return writeFile(this.ctx, input);
  }

  /** Per-file three-way state of a change, without changing anything. */
  detectConflicts(
    specId: string,
  ): Promise<{ files: FileStatus[]; openConflict: OpenConflict | null }> {
    return detectConflicts(this.ctx, specId);
  }

  /**
   * Settle a conflict: `filesystem_wins` closes it, `db_wins` writes the kept database version
   * back.
   */
  resolveConflict(
    specId: string,
    resolution: ConflictResolution,
    actor?: string,
  ): Promise<SyncOutcome> {
    return resolveConflict(this.ctx, specId, resolution, actor);
  }

  /** Bring back a version kept in history: written to the database and flushed to the file. */
  restore(
    historyId: number,
    file: string | undefined,
    actor?: string,
  ): Promise<{ row: Pick<SpecRow, "id" | "contentHashes">; files: string[] }> {
    return restore(this.ctx, historyId, file, actor);
  }

  // ---------------------------------------------------------------- queries the scheduler needs

  /** Rows of a project not synced since `before` (never-synced first). */
  staleRows(projectId: string, before: Date, limit: number): Promise<SyncStateRow[]> {
    return staleRows(this.ctx, projectId, before, limit);
  }
}
