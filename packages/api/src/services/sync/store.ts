/** The engine's rows and history: reads, the reconcile transaction, soft deletes, failures. */
import { realpathSync } from "node:fs";
import path from "node:path";
import {
  and,
  eq,
  inArray,
  isNull,
  type NewSpecRow,
  openspecSpecs,
  type ProjectRow,
  projects,
  type SpecRow,
  sql,
  syncChecks,
  syncHistory,
} from "@specsync/db";
import type { OpenConflict, SyncTrigger } from "@specsync/validators";
import { getTableColumns } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import { chunk } from "../../utils/concurrency";
import { errorMessage, SpecsyncError } from "../../utils/errors";
import { isFolder } from "../../utils/fs/is-folder";
import type { FolderRef } from "../../utils/fs/scan-workspace";
import { insertHistoryRows, insertSpecRows } from "./bulk-load";
import type { FailureSeen } from "./failure-key";
import type { NewRow } from "./import-read";
import { asidePath, type OpenFailure, type PlannedHistory, pickMoveSource } from "./plan";
import { initialStatusColumns } from "./row-values";
import type { EditRow, SyncContext, SyncStateRow } from "./types";

/** Every column but the search vector, which only SQL reads (and which is large). */
const { search: _search, ...rowColumns } = getTableColumns(openspecSpecs);
/** What an edit reads: everything but the parsed structure (recomputed from the files anyway). */
const { parsed: _parsed, ...editColumns } = rowColumns;

const utf8 = new TextEncoder();
/** A row has something to do even if no file changed: a pending flush, an error to clear. */
const DIRTY = "jsonb_array_length(pending_files) > 0 or sync_error is not null";

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
  files: sql<string[]>`coalesce(${openspecSpecs.trackedFiles}, '[]'::jsonb)`,
  /** Something to do even if no file changed: a pending flush, an error to clear. */
  dirty: sql<boolean>`(${sql.raw(DIRTY)})`,
};

export const openspecDir = (project: ProjectRow) => path.join(project.rootPath, "openspec");

/** Dates by their milliseconds (String(date) has whole seconds); JSON values deeply. */
function sameValue(v: unknown, cur: unknown): boolean {
  if (v instanceof Date || cur instanceof Date) {
    const ms = (x: unknown) => (x instanceof Date ? x.getTime() : x);
    return ms(v) === ms(cur);
  }
  if (typeof v === "object" && v !== null) return JSON.stringify(v) === JSON.stringify(cur);
  return v === cur;
}

/**
 * The entries of `values` that differ from `row`: unchanged content is not re-sent or re-indexed.
 */
export function changedValues<T extends object>(values: T, row: object): Partial<T> {
  const out: Record<string, unknown> = {};
  const current = row as Record<string, unknown>;
  for (const [k, v] of Object.entries(values)) if (!sameValue(v, current[k])) out[k] = v;
  return out as Partial<T>;
}

// ------------------------------------------------------------------ projects and locks

export async function ensureProject(
  ctx: SyncContext,
  rootPath: string,
  name?: string,
): Promise<ProjectRow> {
  const root = path.resolve(rootPath);
  const [known] = await ctx.db.select().from(projects).where(eq(projects.rootPath, root));
  if (known) return known;
  const adopted = await adoptAlias(ctx, root);
  if (adopted) return adopted;
  await ctx.db
    .insert(projects)
    .values({ rootPath: root, name: name ?? path.basename(root) })
    .onConflictDoNothing({ target: projects.rootPath });
  const [row] = await ctx.db.select().from(projects).where(eq(projects.rootPath, root));
  if (!row) throw new SpecsyncError("NOT_FOUND", `project at ${root} not found`);
  return row;
}

/**
 * A project registered under another path to the same folder (a symlink, before paths were
 * canonicalised) moves to this path instead of a second row syncing the same files: its rows,
 * history and claims stay the project's.
 */
async function adoptAlias(ctx: SyncContext, root: string): Promise<ProjectRow | undefined> {
  const real = realFolder(root);
  if (!real) return undefined;
  for (const row of await ctx.db.select().from(projects)) {
    if (realFolder(row.rootPath) !== real) continue;
    const [moved] = await ctx.db
      .update(projects)
      .set({ rootPath: root })
      .where(eq(projects.id, row.id))
      .returning();
    ctx.projects.delete(row.id);
    return moved;
  }
  return undefined;
}

const realFolder = (p: string): string | undefined => {
  try {
    return realpathSync.native(p);
  } catch {
    return undefined; // gone or unreadable: not the same folder as anything
  }
};

export async function getProject(ctx: SyncContext, id: string): Promise<ProjectRow> {
  const cached = ctx.projects.get(id);
  if (cached) return cached;
  const [row] = await ctx.db.select().from(projects).where(eq(projects.id, id));
  if (!row) throw new SpecsyncError("NOT_FOUND", `project ${id} not found`);
  ctx.projects.set(id, row);
  return row;
}

export function lockKey(projectId: string, ref: Pick<FolderRef, "kind" | "name">): string {
  return `${projectId}:${ref.kind}:${ref.name}`;
}

export async function lockKeyOfRow(ctx: SyncContext, id: string): Promise<string> {
  const cached = ctx.rowKeys.get(id);
  if (cached) return cached;
  const [row] = await ctx.db
    .select({
      projectId: openspecSpecs.projectId,
      kind: openspecSpecs.kind,
      name: openspecSpecs.name,
    })
    .from(openspecSpecs)
    .where(eq(openspecSpecs.id, id));
  if (!row) throw new SpecsyncError("NOT_FOUND", `spec ${id} not found`);
  if (ctx.rowKeys.size >= 10_000) ctx.rowKeys.clear();
  const key = lockKey(row.projectId, row);
  ctx.rowKeys.set(id, key);
  return key;
}

// ------------------------------------------------------------------ reading rows

export async function getRow(
  ctx: SyncContext,
  id: string,
  includeDeleted = false,
): Promise<SpecRow> {
  const [row] = await ctx.db.select(rowColumns).from(openspecSpecs).where(eq(openspecSpecs.id, id));
  if (!row || (!includeDeleted && row.deletedAt))
    throw new SpecsyncError("NOT_FOUND", `spec ${id} not found`);
  return row;
}

/**
 * The row without `parsed`: what a reader that does not hand the row out needs (an archived
 * change's `parsed` is not stored, and deriving it costs a parse: parsed-on-read.ts).
 */
export async function getRowWithoutParsed(
  ctx: SyncContext,
  id: string,
  includeDeleted = false,
): Promise<EditRow> {
  const [row] = await ctx.db
    .select(editColumns)
    .from(openspecSpecs)
    .where(eq(openspecSpecs.id, id));
  if (!row || (!includeDeleted && row.deletedAt))
    throw new SpecsyncError("NOT_FOUND", `spec ${id} not found`);
  return row;
}

/** The row an edit works on: everything but the parsed structure. */
/**
 * The save's row read, built once per database and prepared: on PostgreSQL one round trip (an
 * unnamed statement with a parameter takes two: describe, then execute) and no query building.
 */
const editRowQueries = new WeakMap<SyncContext["db"], ReturnType<typeof prepareEditRow>>();
const prepareEditRow = (db: SyncContext["db"]) =>
  db
    .select(editColumns)
    .from(openspecSpecs)
    .where(eq(openspecSpecs.id, sql.placeholder("id")))
    .prepare("specsync_edit_row");

export async function editRow(ctx: SyncContext, id: string): Promise<EditRow | undefined> {
  let query = editRowQueries.get(ctx.db);
  if (!query) {
    query = prepareEditRow(ctx.db);
    editRowQueries.set(ctx.db, query);
  }
  const [row] = await query.execute({ id });
  return row;
}

export async function rowByPath(
  ctx: SyncContext,
  projectId: string,
  relPath: string,
): Promise<EditRow | undefined> {
  const [row] = await ctx.db
    .select(editColumns)
    .from(openspecSpecs)
    .where(and(eq(openspecSpecs.projectId, projectId), eq(openspecSpecs.path, relPath)));
  return row;
}

/**
 * A row of the same change whose folder is gone: the source of a move (archive, un-archive, date).
 */
export async function movedRow(
  ctx: SyncContext,
  project: ProjectRow,
  ref: FolderRef,
): Promise<EditRow | undefined> {
  const rows = await ctx.db
    .select(editColumns)
    .from(openspecSpecs)
    .where(
      and(
        eq(openspecSpecs.projectId, project.id),
        eq(openspecSpecs.kind, ref.kind),
        eq(openspecSpecs.name, ref.name),
      ),
    );
  const dir = openspecDir(project);
  const candidates = rows
    .filter((r) => r.path !== ref.path)
    .map((row) => ({
      row,
      path: row.path,
      gone: !isFolder(path.join(dir, row.path)),
      deleted: !!row.deletedAt,
      updatedAt: row.updatedAt,
    }));
  return pickMoveSource(ref.path, candidates);
}

type StateTuple = [
  id: string,
  path: string,
  kind: SyncStateRow["kind"],
  name: string,
  deletedAt: string | null,
  statFingerprint: string | null,
  lastSyncedAt: string | null,
  files: string[] | null,
  dirty: boolean,
];

/** A read of a project's sync state: its rows, and its sync-state generation when read. */
export type StateRead = { rows: SyncStateRow[]; generation: string | null };

/** A project's sync-state generation (migration 0019), as text; null before its first write. */
export async function stateGeneration(ctx: SyncContext, projectId: string): Promise<string | null> {
  const [res] = await ctx.database.query<{ gen: string }>(
    "select gen::text as gen from sync_state_generation where project_id = $1",
    [projectId],
  );
  return res?.gen ?? null;
}

/**
 * The sync state of every row of a project (what bulk reconciles start from), as one JSON text
 * built by PostgreSQL: decoding 10,000 rows field by field in the driver (PGlite's above all) cost
 * several times the query itself. With the project's sync-state generation, read in the same
 * statement, so of the same snapshot.
 */
export async function syncStateRows(ctx: SyncContext, projectId: string): Promise<StateRead> {
  const [res] = await ctx.database.query<{ rows: string | null; gen: string | null }>(
    `select json_agg(json_build_array(id, path, kind, name, deleted_at, stat_fingerprint,
       last_synced_at, tracked_files, ${DIRTY}))::text as rows,
       (select gen::text from sync_state_generation where project_id = $1) as gen
     from openspec_specs where project_id = $1`,
    [projectId],
  );
  if (!res) throw new Error("the sync state query answered no row");
  const date = (t: string | null) => (t === null ? null : new Date(t));
  const rows = (JSON.parse(res.rows ?? "[]") as StateTuple[]).map(
    ([id, path, kind, name, deletedAt, statFingerprint, lastSyncedAt, files, dirty]) => ({
      id,
      path,
      kind,
      name,
      deletedAt: date(deletedAt),
      statFingerprint,
      lastSyncedAt: date(lastSyncedAt),
      files: files ?? [],
      dirty,
    }),
  );
  return { rows, generation: res.gen };
}

/** Path and deletion of every row of a project: all a listing check needs. */
export function rowPaths(
  ctx: SyncContext,
  projectId: string,
): Promise<{ path: string; deletedAt: Date | null }[]> {
  return ctx.db
    .select({ path: openspecSpecs.path, deletedAt: openspecSpecs.deletedAt })
    .from(openspecSpecs)
    .where(eq(openspecSpecs.projectId, projectId));
}

/** Rows of a project not synced since `before` (never-synced first). */
export async function staleRows(
  ctx: SyncContext,
  projectId: string,
  before: Date,
  limit: number,
): Promise<SyncStateRow[]> {
  const lastSeen = sql`greatest(${openspecSpecs.lastSyncedAt}, ${syncChecks.checkedAt},
    ${projects.checkedAt})`;
  // Pick the ids first (a narrow sort), then read the state of just those: the state includes a
  // per-row JSON expression that would otherwise be computed for every stale row, on every batch.
  const due = await ctx.db
    .select({ id: openspecSpecs.id })
    .from(openspecSpecs)
    .leftJoin(syncChecks, eq(syncChecks.specId, openspecSpecs.id))
    .innerJoin(projects, eq(projects.id, openspecSpecs.projectId))
    .where(
      and(
        eq(openspecSpecs.projectId, projectId),
        isNull(openspecSpecs.deletedAt),
        sql`(${lastSeen} is null or ${lastSeen} < ${before.toISOString()})`,
      ),
    )
    .orderBy(sql`${lastSeen} asc nulls first`)
    .limit(limit);
  if (due.length === 0) return [];
  const ids = due.map((d) => d.id);
  const rows = await ctx.db
    .select(syncStateColumns)
    .from(openspecSpecs)
    .where(inArray(openspecSpecs.id, ids));
  const order = new Map(ids.map((id, i) => [id, i]));
  return rows.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
}

// ------------------------------------------------------------------ writing rows

/** Unchanged rows only get their check time bumped: one narrow upsert per 5,000 rows. */
export async function markChecked(ctx: SyncContext, ids: readonly string[]): Promise<void> {
  for (const part of chunk([...ids], 5000)) {
    await ctx.db.execute(
      sql`insert into ${syncChecks} (spec_id, checked_at)
          select unnest(${`{${part.join(",")}}`}::uuid[]), now()
          on conflict (spec_id) do update set checked_at = excluded.checked_at`,
    );
  }
}

/**
 * A full sync ended. `checked`: with no failure, so every live row was verified just now: one
 * stamp on the project instead of a `sync_checks` row each (10,000 upserts, each firing the list
 * generation's row trigger, were ~0.1-0.3 s of a no-op reconcile).
 */
export async function markFullSync(
  ctx: SyncContext,
  projectId: string,
  checked: boolean,
): Promise<void> {
  const now = new Date();
  await ctx.db
    .update(projects)
    .set(checked ? { lastFullSyncAt: now, checkedAt: now } : { lastFullSyncAt: now })
    .where(eq(projects.id, projectId));
}

export async function updateRow(
  ctx: SyncContext,
  id: string,
  values: PgUpdateSetSource<typeof openspecSpecs>,
): Promise<void> {
  await ctx.db.update(openspecSpecs).set(values).where(eq(openspecSpecs.id, id));
}

/** A soft-deleted row in the way of a moved folder is renamed aside, never dropped. */
export function setAside(ctx: SyncContext, row: { id: string; path: string }): Promise<void> {
  return updateRow(ctx, row.id, { path: asidePath(row) });
}

export type ReconcileWrite = {
  project: ProjectRow;
  ref: FolderRef;
  row: EditRow | undefined;
  values: PgUpdateSetSource<typeof openspecSpecs>;
  histories: readonly PlannedHistory[];
  trigger: SyncTrigger;
  /**
   * A conflict found now: the row links it to the history entry that keeps the database version.
   */
  conflict: OpenConflict | null;
  started: number;
  /** A new row's creation time when the caller sets one (ReconcileOptions); else now(). */
  createdAt?: Date | undefined;
};

/**
 * The newest write entry of any of `files` of a row, when it is a failure (see OpenFailure). Read
 * only when a reconcile has pending files to flush.
 */
export async function openFailure(
  ctx: SyncContext,
  specId: string,
  files: readonly string[],
): Promise<OpenFailure | null> {
  if (!files.length) return null;
  const [last] = await ctx.db
    .select({
      id: syncHistory.id,
      action: syncHistory.action,
      filesChanged: syncHistory.filesChanged,
      previousContent: syncHistory.previousContent,
      error: syncHistory.error,
    })
    .from(syncHistory)
    .where(
      and(
        eq(syncHistory.specId, specId),
        eq(syncHistory.direction, "db_to_fs"),
        sql`${syncHistory.filesChanged} ?| array[${sql.join(
          files.map((f) => sql`${f}`),
          sql`, `,
        )}]::text[]`,
      ),
    )
    .orderBy(sql`${syncHistory.id} desc`)
    .limit(1);
  return last?.action === "failed" ? last : null;
}

/** One planned history entry: inserted, or written over the open failure it closes or repeats. */
async function writeHistory(
  tx: Tx,
  h: PlannedHistory,
  row: typeof syncHistory.$inferInsert,
): Promise<number | undefined> {
  const { reuse, direction: _direction, ...outcome } = h;
  if (reuse === undefined) {
    const [r] = await tx.insert(syncHistory).values(row).returning({ id: syncHistory.id });
    return r?.id;
  }
  // The entry keeps who and what started it (trigger, actor, time); its outcome is the newest.
  await tx.update(syncHistory).set(outcome).where(eq(syncHistory.id, reuse));
  return reuse;
}
type Tx = Parameters<Parameters<SyncContext["db"]["transaction"]>[0]>[0];

/** Write a reconcile's row and history in one transaction; returns the row id and history ids. */
export async function saveReconcile(
  ctx: SyncContext,
  w: ReconcileWrite,
): Promise<{ specId: string; historyIds: number[] }> {
  const historyRow = ({ reuse: _reuse, ...h }: PlannedHistory, specId: string) => ({
    ...h,
    trigger: w.trigger,
    specId,
    projectId: w.project.id,
    name: w.ref.name,
    durationMs: Date.now() - w.started,
  });
  return ctx.db.transaction(async (tx) => {
    const { row } = w;
    if (row && !w.conflict) {
      // The usual case: the row update and its history rows do not depend on each other, so they
      // are
      // pipelined on the transaction's connection (one round trip instead of one per statement).
      const [, ...inserted] = await Promise.all([
        tx
          .update(openspecSpecs)
          .set(changedValues(w.values, row))
          .where(eq(openspecSpecs.id, row.id)),
        ...w.histories.map((h) => writeHistory(tx, h, historyRow(h, row.id))),
      ]);
      return {
        specId: row.id,
        historyIds: (inserted as (number | undefined)[]).filter((x) => x !== undefined),
      };
    }
    let id: string;
    if (row) {
      await tx
        .update(openspecSpecs)
        .set(changedValues(w.values, row))
        .where(eq(openspecSpecs.id, row.id));
      id = row.id;
    } else {
      const values = w.values as Record<string, unknown>;
      const [inserted] = await tx
        .insert(openspecSpecs)
        .values({
          ...values,
          projectId: w.project.id,
          kind: w.ref.kind,
          name: w.ref.name,
          path: w.ref.path,
          ...(w.createdAt ? { createdAt: w.createdAt } : {}),
          ...initialStatusColumns(w.ref, values, new Date()),
        } as NewSpecRow)
        .returning({ id: openspecSpecs.id });
      if (!inserted) throw new Error(`could not insert the row of ${w.ref.path}`);
      id = inserted.id;
    }
    const ids: number[] = [];
    for (const h of w.histories) {
      const r = await writeHistory(tx, h, historyRow(h, id));
      if (r !== undefined) ids.push(r);
    }
    if (w.conflict) {
      const conflict = { ...w.conflict, historyId: ids[0] ?? null };
      await tx.update(openspecSpecs).set({ conflict }).where(eq(openspecSpecs.id, id));
    }
    return { specId: id, historyIds: ids };
  });
}

/**
 * Brand-new rows in one multi-row INSERT, with their `created` history; rows already there are
 * skipped.
 */
export async function insertNewRows(
  ctx: SyncContext,
  project: ProjectRow,
  batch: { rows: readonly NewRow[]; json: string; columns: string },
  trigger: SyncTrigger,
  how: { started: number; deferSearch: boolean; createdAt: Date },
): Promise<Map<string, { id: string; files: string[]; historyId: number | undefined }>> {
  const { started, deferSearch, createdAt } = how;
  return ctx.db.transaction(async (tx) => {
    // The trigger leaves the search vector NULL for the fill (migration 0015, search-fill.ts).
    if (deferSearch) await tx.execute(sql`select set_config('specsync.defer_search', 'y', true)`);
    // One JSON parameter for the whole batch (bulk-load.ts); name and hashes are the rows' own.
    const rowOf = new Map(batch.rows.map((r) => [r.path, r]));
    // PGlite measures a string parameter in JavaScript a character at a time; bytes it copies.
    const json = ctx.database.driver === "pglite" ? utf8.encode(batch.json) : batch.json;
    const inserted = (
      await insertSpecRows(tx, { json, columns: batch.columns, createdAt })
    ).flatMap(({ id, path }) => {
      const r = rowOf.get(path);
      return r ? [{ id, path, name: r.name, files: r.files }] : [];
    });
    const histories = inserted.map((r) => ({
      specId: r.id,
      projectId: project.id,
      name: r.name,
      direction: "fs_to_db" as const,
      trigger,
      action: "created" as const,
      success: true,
      filesChanged: r.files,
      durationMs: Date.now() - started,
    }));
    const ids = await insertHistoryRows(tx, histories);
    const historyOf = new Map(ids.map((h) => [h.specId, h.id]));
    const out = new Map<string, { id: string; files: string[]; historyId: number | undefined }>();
    for (const r of inserted) {
      out.set(r.path, {
        id: r.id,
        files: r.files,
        historyId: historyOf.get(r.id),
      });
    }
    return out;
  });
}

/** A folder that is gone for good: soft delete (the content stays), with its history row. */
export async function softDelete(
  ctx: SyncContext,
  project: ProjectRow,
  ref: FolderRef,
  row: EditRow,
  trigger: SyncTrigger,
  started: number,
): Promise<number> {
  const h = await ctx.history.record({
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
  const now = new Date();
  await updateRow(ctx, row.id, { deletedAt: now, updatedAt: now, lastSyncedAt: now });
  return h.id;
}

export type FailureRecord = {
  project: ProjectRow;
  ref: FolderRef;
  row: Pick<EditRow, "id" | "syncError" | "statFingerprint" | "deletedAt"> | undefined;
  trigger: SyncTrigger;
  direction: "fs_to_db" | "db_to_fs";
  error: string;
  started: number;
  /** A read of a folder that is on disk failed: its row is live, its failure keyed. */
  seen?: FailureSeen;
};

/** The same failure of a live row, with nothing moved on disk since it was recorded. */
const sameFailure = (f: FailureRecord) =>
  !!f.row &&
  !!f.seen?.key &&
  f.row.statFingerprint === f.seen.key &&
  f.row.syncError === f.error &&
  !f.row.deletedAt;

/**
 * Record a failed sync on the row (created if missing: a folder we cannot read still shows up,
 * with its error) and in history, unless it is the same failure as last time. Never throws: a
 * database that is down is logged.
 */
export async function recordFailure(
  ctx: SyncContext,
  f: FailureRecord,
): Promise<{ specId: string | null; historyId?: number; unchanged?: boolean }> {
  let specId = f.row?.id ?? null;
  if (sameFailure(f)) return { specId, unchanged: true };
  // The folder is on disk: a row deleted while it was away is live again (and lists it right).
  const onDisk = f.seen
    ? { deletedAt: null, statFingerprint: f.seen.key, fileModifiedAt: f.seen.modifiedAt }
    : {};
  try {
    if (f.row) {
      await updateRow(ctx, f.row.id, { syncError: f.error, lastSyncedAt: new Date(), ...onDisk });
    } else {
      const { ref } = f;
      const [inserted] = await ctx.db
        .insert(openspecSpecs)
        .values({
          projectId: f.project.id,
          kind: ref.kind,
          name: ref.name,
          path: ref.path,
          archived: ref.archived,
          archivedOn: ref.archivedOn,
          title: ref.name,
          syncError: f.error,
          lastSyncedAt: new Date(),
          ...onDisk,
        })
        .onConflictDoUpdate({
          target: [openspecSpecs.projectId, openspecSpecs.path],
          set: { syncError: f.error, lastSyncedAt: new Date(), ...onDisk },
        })
        .returning({ id: openspecSpecs.id });
      specId = inserted?.id ?? null;
    }
    const h = await ctx.history.record({
      specId,
      projectId: f.project.id,
      name: f.ref.name,
      direction: f.direction,
      trigger: f.trigger,
      action: "failed",
      success: false,
      error: f.error,
      durationMs: Date.now() - f.started,
    });
    return { specId, historyId: h.id };
  } catch (dbErr) {
    ctx.log?.(
      `could not record sync failure of ${f.ref.path}: ${errorMessage(dbErr)} ` +
        `(original error: ${f.error})`,
    );
    return { specId };
  }
}
