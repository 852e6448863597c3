import type { Stats } from "node:fs";
import type { Database, ProjectRow, SpecRow } from "@specsync/db";
import type { SyncAction } from "@specsync/validators";
import type { AtomicWriteHooks } from "../../utils/fs/atomic-write";
import type { KeyedMutex } from "../../utils/keyed-mutex";
import type { HistoryService } from "../history-service";
import type { SyncEventBus } from "../sync-events";

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

export type SyncSummary = {
  total: number;
  succeeded: number;
  failed: number;
  changed: number;
  outcomes: SyncOutcome[];
};

/** Where a file stands in the three-way comparison of disk, database and last-synced base. */
export type FileState = "clean" | "fs_changed" | "db_changed" | "converged" | "conflict";
export type FileStatus = {
  file: string;
  state: FileState;
  diskHash: string | null;
  dbHash: string | null;
  baseHash: string | null;
};

export type SyncServiceOptions = {
  database: Database;
  history: HistoryService;
  events: SyncEventBus;
  writeHooks?: AtomicWriteHooks;
  log?: (msg: string) => void;
};

/** A project's sync state as one bulk read left it, with its sync-state generation then. */
export type CachedState = { rows: SyncStateRow[]; generation: string | null };

/** What every module of the engine works with: the options plus the shared locks and caches. */
export type SyncContext = SyncServiceOptions & {
  db: Database["db"];
  /** One lock per folder (project, kind, name): all work on a folder is serialised. */
  mutex: KeyedMutex;
  /** Projects never change their root, so they are cached (the edit path needs one per call). */
  projects: Map<string, ProjectRow>;
  /**
   * A row's project, kind and name never change (a move keeps the name): its lock key is cached.
   */
  rowKeys: Map<string, string>;
  /** The background fill of search vectors a bulk import left out (search-fill.ts), if running. */
  searchFill: { running: Promise<void> | null; checked: boolean };
  /** Per project: the sync state of the last bulk read, to read only what changed since. */
  stateCache: Map<string, CachedState>;
};

/**
 * A tracked file as read from disk; `content` is absent when its stat matched and it was not read.
 */
export type DiskFile = { hash: string; content?: string; stat: Stats };

/**
 * `trusted`: no symlinks, no directories off the tracked paths: a folder fingerprint covers it all.
 */
export type DiskRead = {
  files: Map<string, DiskFile>;
  error: string | null;
  temps: string[];
  trusted: boolean;
  /**
   * The listing met nothing under the folder but the tracked plain files and the plain
   * directories it walked: the files' stats cover every file below it (no other walk needed).
   */
  complete?: boolean;
};

/** What an edit reads: everything but the parsed structure (large, recomputed from the files). */
export type EditRow = Omit<SpecRow, "parsed">;

/** The columns a bulk no-op check needs; anything more is read fresh, under the folder's lock. */
export type SyncStateRow = {
  id: string;
  path: string;
  kind: SpecRow["kind"];
  name: string;
  deletedAt: Date | null;
  statFingerprint: string | null;
  lastSyncedAt: Date | null;
  files: string[];
  dirty: boolean;
};

/**
 * How one folder is reconciled. `row` (bulk callers): what a snapshot knew, `null` = "no row at
 * this path", enabling the fingerprint fast path. `announce: false` leaves out the per-folder
 * `spec_changed` event (a bulk sync announces itself once); conflicts and failures are always told.
 * `createdAt`: a new row's creation time — one per bulk pass, so the folders one scan finds tie and
 * the work queue orders them by name, not by which insert happened to commit first.
 */
export type ReconcileOptions = {
  row?: SyncStateRow | null;
  announce?: boolean;
  createdAt?: Date;
};
