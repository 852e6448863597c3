/**
 * People's edits: a save (database first, then an immediate flush), conflict resolution, restore.
 */
import { statSync } from "node:fs";
import {
  and,
  eq,
  openspecSpecs,
  type ProjectRow,
  type SpecRow,
  sql,
  syncHistory,
} from "@specsync/db";
import {
  type ConflictDetails,
  type ConflictResolution,
  MAX_CONTENT_BYTES,
  type OpenConflict,
  type SyncTrigger,
} from "@specsync/validators";
import type { SQL } from "drizzle-orm";
import { errorMessage, SpecsyncError } from "../../utils/errors";
import type { PreparedWrite } from "../../utils/fs/atomic-write";
import { isFolder } from "../../utils/fs/is-folder";
import { resolveInside } from "../../utils/fs/safe-path";
import { isTrackedFile } from "../../utils/fs/scan-workspace";
import { sha256 } from "../../utils/hash";
import { createPartsMemo } from "../../utils/openspec";
import { deriveFieldsOffThread } from "../parse-pool";
import { contentColumns, type FileMap, filesOfRow, hashFiles } from "../spec-files";
import { readCurrent, readDisk, statOf } from "./disk";
import { prepareGuarded } from "./flush";
import { compareFiles, type OpenFailure } from "./plan";
import { folderOfRow, reconcileFolder, syncSpec } from "./reconcile";
import { storedParsed } from "./row-values";
import {
  changedValues,
  editRow,
  getProject,
  getRow,
  lockKeyOfRow,
  openFailure,
  openspecDir,
  updateRow,
} from "./store";
import type { DiskFile, EditRow, FileStatus, SyncContext, SyncOutcome } from "./types";

export type WriteInput = {
  id: string;
  file: string;
  content: string;
  baseHash: string | null;
  actor?: string | undefined;
  /** What asked for the write: a person's save (default), a restore, a conflict resolution. */
  trigger?: SyncTrigger;
  /**
   * Decide the text from the row read under the folder's lock (a merge with what changed since
   * the caller's base): the caller reads nothing beforehand, one round trip fewer.
   */
  resolve?: (row: EditRow) => Promise<{ content: string; baseHash: string | null }>;
};
export type WriteResult = {
  row: Pick<SpecRow, "id" | "contentHashes">;
  hash: string;
  historyId: number | null;
};

/** Bad input is refused before anything is touched. */
function checkInput(input: WriteInput, row: EditRow): void {
  const bytes = Buffer.byteLength(input.content, "utf8");
  if (bytes > MAX_CONTENT_BYTES) {
    throw new SpecsyncError(
      "PAYLOAD_TOO_LARGE",
      `content is ${bytes} bytes; the limit is ${MAX_CONTENT_BYTES}`,
    );
  }
  if (input.content.includes("\0"))
    throw new SpecsyncError("BAD_REQUEST", "content must be text: it contains a NUL byte");
  if (!isTrackedFile(row.kind, input.file)) {
    throw new SpecsyncError(
      "BAD_REQUEST",
      `${input.file} is not an editable file of a ${row.kind} (proposal.md, tasks.md, design.md, ` +
        ".openspec.yaml, specs/<capability>/spec.md; spec.md for specs)",
    );
  }
}

/**
 * Write one file: database first (compare-and-set on the editor's base hash), then an immediate
 * atomic flush. A stale base or a file changed on disk since the last sync is a CONFLICT.
 */
export async function writeFile(ctx: SyncContext, input: WriteInput): Promise<WriteResult> {
  const key = await lockKeyOfRow(ctx, input.id);
  // The folder's lock in this process, then across servers sharing the database: a save reads
  // the row and the disk, takes the edit and replaces the file as one step. Without the second,
  // two servers' saves interleaved (each checked the disk before the other's rename) and one
  // answered "saved" while the other's rename replaced its bytes.
  return ctx.mutex.run(key, () => ctx.database.exclusive(key, () => writeLocked(ctx, input)));
}

async function writeLocked(ctx: SyncContext, asked: WriteInput): Promise<WriteResult> {
  const started = Date.now();
  const trigger = asked.trigger ?? "user_edit";
  const row = await editRow(ctx, asked.id);
  if (!row || row.deletedAt) throw new SpecsyncError("NOT_FOUND", `spec ${asked.id} not found`);
  const input = asked.resolve ? { ...asked, ...(await asked.resolve(row)) } : asked;
  const project = await getProject(ctx, row.projectId);
  checkInput(input, row);
  const root = openspecDir(project);
  const abs = resolveInside(root, `${row.path}/${input.file}`);
  // What the save found is imported under the save's own trigger: it is why this sync ran.
  const importDisk = () => reconcileFolder(ctx, project, folderOfRow(row), trigger);
  if (!isFolder(resolveInside(root, row.path))) {
    // Deleted or moved on disk since the last sync: writing would resurrect a one-file folder.
    await importDisk();
    const message = `the folder ${row.path} was moved or deleted on disk; reload and try again`;
    throw new SpecsyncError("CONFLICT", message, { currentHash: null });
  }
  const dbFiles = filesOfRow(row);
  const currentHash = row.contentHashes[input.file] ?? null;
  if (input.baseHash !== currentHash) {
    const currentContent = dbFiles[input.file] ?? null;
    throw new SpecsyncError("CONFLICT", `${input.file} was changed since you loaded it`, {
      currentContent,
      currentHash,
    });
  }
  // The file on disk must still be what we last synced; otherwise import it first (the file wins).
  const disk = readCurrent(abs, root);
  const baseHash = row.baseHashes[input.file] ?? null;
  if ((disk?.hash ?? null) !== baseHash) {
    await importDisk();
    const message = `${input.file} was changed on disk; the disk version has been loaded`;
    throw new SpecsyncError("CONFLICT", message, {
      currentContent: disk?.content ?? null,
      currentHash: disk?.hash ?? null,
    });
  }
  const hash = sha256(input.content);
  if (hash === currentHash && hash === (disk?.hash ?? null)) return { row, hash, historyId: null };
  const edit = { ctx, project, row, input, trigger, started, abs, root };
  // The new bytes go to a temp file (written, fsynced) while the database takes the edit; the
  // file itself is replaced only after the commit, as before. Settled here, read in flushEdit.
  const prepared = prepareGuarded(ctx, abs, input.content, baseHash, root).then(
    (write) => ({ write }),
    (error: unknown) => ({ error }),
  );
  const onDisk = disk?.content ?? null;
  let saved: Awaited<ReturnType<typeof saveEdit>>;
  try {
    saved = await saveEdit(edit, dbFiles, currentHash, onDisk);
  } catch (err) {
    const p = await prepared;
    if ("write" in p) p.write.abort();
    throw err;
  }
  const { contentHashes, historyId } = saved;
  const entry = { id: historyId, retried: saved.retried };
  try {
    const flushed = await flushEdit(edit, entry, prepared, onDisk, contentHashes, importDisk);
    const { replaced } = flushed;
    // The bookkeeping's statement runs while the folder's fsync makes the rename durable; the
    // answer waits for both (why that order is safe: NO_WAL_WAIT).
    const [result] = await Promise.all([
      recordEdit(edit, historyId, hash, replaced === onDisk ? undefined : replaced, contentHashes),
      flushed.synced,
    ]);
    return result;
  } finally {
    fillSearch(ctx, row.id);
  }
}

/** Rows whose search vector saves left NULL, filled together once saves pause. */
const pendingFills = new WeakMap<
  SyncContext,
  { ids: Set<string>; timer: NodeJS.Timeout; since: number }
>();
/** Saves this close together put the fill off; never for longer than FILL_MAX_WAIT_MS. */
const FILL_QUIET_MS = 100;
const FILL_MAX_WAIT_MS = 1000;

/**
 * The search vector a save left NULL, computed after the save answered, once saves pause for
 * FILL_QUIET_MS (at most FILL_MAX_WAIT_MS after the first; one statement for all of them): not
 * beside the next save, which would wait for its CPU (and on PGlite, which runs on this thread,
 * for the statement itself). Not awaited; if it fails or never runs, search computes the vector of
 * such a row itself (specs-service.ts) and the next full sync's search fill writes it.
 */
function fillSearch(ctx: SyncContext, id: string): void {
  const pending = pendingFills.get(ctx);
  const since = pending?.since ?? performance.now();
  if (pending) {
    pending.ids.add(id);
    if (performance.now() - since >= FILL_MAX_WAIT_MS) return;
    clearTimeout(pending.timer);
  }
  const ids = pending?.ids ?? new Set<string>([id]);
  const timer = setTimeout(() => {
    pendingFills.delete(ctx);
    ctx.db
      .execute(
        sql`update ${openspecSpecs} s set search = openspec_specs_search_of(s)
          where s.id in (${sql.join(
            [...ids].map((i) => sql`${i}::uuid`),
            sql`, `,
          )}) and s.search is null`,
      )
      .catch(() => {});
  }, FILL_QUIET_MS);
  timer.unref();
  pendingFills.set(ctx, { ids, timer, since });
}

type Edit = {
  ctx: SyncContext;
  project: ProjectRow;
  row: EditRow;
  input: WriteInput;
  trigger: SyncTrigger;
  started: number;
  abs: string;
  root: string;
};

/**
 * 1. Database first, compare-and-set so two servers cannot both win the same base. Only changed
 * columns are sent: unchanged content is not re-parsed, re-TOASTed or re-indexed. The same
 * statement opens the save's history entry (`writing`) with the disk version the write will
 * replace: the database now holds the new text, so if the server stops between the rename and
 * the bookkeeping, that version is still in the database.
 */
async function saveEdit(
  e: Edit,
  dbFiles: FileMap,
  currentHash: string | null,
  onDisk: string | null,
): Promise<{
  contentHashes: Record<string, string>;
  historyId: number;
  retried: OpenFailure | null;
}> {
  const { row, input } = e;
  const files = { ...dbFiles, [input.file]: input.content };
  const contentHashes = hashFiles(files);
  const derived = await deriveFieldsOffThread(
    row.kind,
    row.name,
    files,
    undefined,
    savedParts(contentHashes),
  );
  const pendingFiles = [...new Set([...row.pendingFiles, input.file])];
  const values = {
    ...contentColumns(row.kind, files),
    ...derived,
    parsed: storedParsed(row, derived, derived.parsed),
    contentHashes,
    pendingFiles,
  };
  const update = e.ctx.db
    .update(openspecSpecs)
    .set({
      ...changedValues(values, row),
      // Left to fill after the answer (fillSearch): computing and indexing the vector was most
      // of this statement. The empty vector says so to the trigger, which stores NULL (0018).
      search: sql`''::tsvector`,
      dbModifiedAt: new Date(),
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(openspecSpecs.id, row.id),
        sql`(${openspecSpecs.contentHashes} ->> ${input.file}) is not distinct from ${currentHash}`,
      ),
    )
    .returning({ id: openspecSpecs.id });
  const kept = JSON.stringify({ [input.file]: onDisk });
  const retry = await retriedFailure(e, onDisk);
  // The entry exists only if the compare-and-set matched (it selects from the update). A save of
  // an edit whose write failed (the file still pending) takes that entry over: one per edit.
  const entry = retry
    ? sql`update ${syncHistory} set action = 'writing', success = true, error = null,
        note = ${`the first write failed (${retry.error ?? "error"})`}::text,
        previous_content = ${kept}::jsonb
      where id = ${retry.id} and exists (select 1 from u) returning id`
    : sql`insert into ${syncHistory} (spec_id, project_id, name, direction, trigger, action,
        success, files_changed, previous_content, actor)
      select u.id, ${row.projectId}::uuid, ${row.name}::text, 'db_to_fs', ${e.trigger}::text,
        'writing', true, ${JSON.stringify([input.file])}::jsonb, ${kept}::jsonb,
        ${input.actor ?? null}::text
      from u returning id`;
  // Prepared (`run`): one round trip on PostgreSQL, not drizzle's two, on the save's path.
  const [opened] = await e.ctx.database.run<{ history_id: number | string | null }>(
    sql`with u as (${update.getSQL()}), d as (${supersededEntry(e, dbFiles)}),
      h as (${entry}) select (select id from h) as history_id`,
  );
  if (opened?.history_id == null) {
    throw new SpecsyncError(
      "CONFLICT",
      `${input.file} was changed by someone else since you loaded it`,
      { currentHash: null },
    );
  }
  return { contentHashes, historyId: Number(opened.history_id), retried: retry };
}

/**
 * The parses of the files a save did not change, from the previous save of the same bytes: a
 * save re-parses only the file it changed (the other files' parses were 3–7 ms a save under load).
 */
const savedParts = createPartsMemo();

/**
 * An edit of this file that is in the database only (its write failed; the file is pending) and
 * that this save replaces with other text: kept as a `draft_discarded` entry (restorable), or it
 * would be lost. Inserted only if the compare-and-set matched; a no-op statement otherwise.
 */
function supersededEntry(e: Edit, dbFiles: FileMap): SQL {
  const { row, input } = e;
  const pending = dbFiles[input.file];
  if (!row.pendingFiles.includes(input.file) || pending == null || pending === input.content)
    return sql`select 1 where false`;
  return sql`insert into ${syncHistory} (spec_id, project_id, name, direction, trigger, action,
      success, files_changed, previous_content, actor, note)
    select u.id, ${row.projectId}::uuid, ${row.name}::text, 'db_to_fs', ${e.trigger}::text,
      'draft_discarded', true, ${JSON.stringify([input.file])}::jsonb,
      ${JSON.stringify({ [input.file]: pending })}::jsonb, ${input.actor ?? null}::text,
      ${SUPERSEDED_NOTE}::text
    from u returning id`;
}

/** Says what a `draft_discarded` entry of a save kept: a saved edit that never reached the disk. */
const SUPERSEDED_NOTE =
  "an edit saved while the file could not be written, replaced by a newer save";

/**
 * The failed write entry of this file still open (the file pending since), when it kept the disk
 * version this save replaces too (the disk is unchanged since: its hash is still the base).
 */
async function retriedFailure(e: Edit, onDisk: string | null) {
  const { file } = e.input;
  if (!e.row.pendingFiles.includes(file)) return null;
  const open = await openFailure(e.ctx, e.row.id, [file]);
  const same = open?.filesChanged.length === 1 && open.previousContent?.[file] === onDisk;
  return same ? open : null;
}

/**
 * 2. Immediate atomic flush; the file is re-checked right before the rename replaces it. Returns
 * the bytes it replaced, and the folder's fsync still running. A failed write leaves the edit in
 * the database, pending.
 */
async function flushEdit(
  e: Edit,
  entry: { id: number; retried: OpenFailure | null },
  prepared: Promise<{ write: PreparedWrite } | { error: unknown }>,
  onDisk: string | null,
  contentHashes: Record<string, string>,
  importDisk: () => Promise<SyncOutcome>,
): Promise<{ replaced: string | null; synced: Promise<void> }> {
  const { ctx, row, input } = e;
  const historyId = entry.id;
  const baseHash = row.baseHashes[input.file] ?? null;
  try {
    const p = await prepared;
    if ("error" in p) throw p.error;
    const { result: written, synced } = await p.write.rename();
    // A write that slipped in between the check and the rename: its bytes go to history, not
    // nowhere.
    return { replaced: written.replacedHash !== baseHash ? written.replaced : onDisk, synced };
  } catch (err) {
    if (err instanceof SpecsyncError && err.code === "CONFLICT") {
      // Nothing was replaced: the save's entry goes (a failure it took over is as it was); the
      // file wins and our edit goes to history through the regular conflict path.
      const { retried } = entry;
      if (retried) {
        const failed = { action: "failed" as const, success: false, error: retried.error };
        await ctx.db
          .update(syncHistory)
          .set({ ...failed, note: null })
          .where(eq(syncHistory.id, historyId));
      } else await ctx.db.delete(syncHistory).where(eq(syncHistory.id, historyId));
      await importDisk();
      throw err;
    }
    const error = `could not write ${input.file}: ${errorMessage(err)}`;
    await updateRow(ctx, row.id, { syncError: error });
    // The entry says the write failed; it keeps the disk version (a failed folder fsync comes
    // after the rename).
    await ctx.db
      .update(syncHistory)
      .set({ action: "failed", success: false, error, durationMs: Date.now() - e.started })
      .where(eq(syncHistory.id, historyId));
    const about = { projectId: row.projectId, specId: row.id, name: row.name };
    ctx.events.publish({ type: "sync_failed", ...about, direction: "db_to_fs", error }, historyId);
    // `kept`: the edit is the database's truth now (hash below); only the disk write is pending.
    const message =
      `${error}. Your edit is kept in the database and will be written when the file can be ` +
      "written (sync this change to retry).";
    throw new SpecsyncError("IO_ERROR", message, {
      kept: true,
      currentHash: contentHashes[input.file] ?? null,
    });
  }
}

/**
 * The bookkeeping's commit does not wait for the WAL flush (`set_config(…, true)` is `SET LOCAL`;
 * the CTE is evaluated because the update's condition reads it), and it runs beside the folder's
 * fsync. What a host crash could then lose (within ~0.6 s) is the new base, the stats and the
 * entry's `flushed`: the state a server stopped between the rename and the bookkeeping leaves,
 * which the next sync settles (the file equals the row: adopted; the entry stays `writing` with
 * the replaced disk version, committed durably by the compare-and-set). Should the bookkeeping
 * survive a crash that the rename does not (before the answer), the file is older than the row's
 * base: imported as a disk edit, the saved text kept in history as the import's replaced version.
 * The edit, the replaced version and the file are durable before the answer, as before. Not for
 * bytes a racing write slipped in: this statement alone keeps those, so it waits for its flush.
 * PostgreSQL only: PGlite has no WAL writer to flush an async commit soon after, and an A/B there
 * showed no gain.
 */
const NO_WAL_WAIT = sql`nowait as (select set_config('synchronous_commit', 'off', true) as v)`;

/**
 * 3. Bookkeeping and closing the history entry in one statement: one round trip and one commit
 * (PGlite runs statements one at a time, and every commit on PostgreSQL waits for its WAL flush).
 * `slipped`: bytes a write that slipped in between the check and the rename put there, which the
 * rename replaced instead of the version the entry was opened with.
 */
async function recordEdit(
  e: Edit,
  historyId: number,
  hash: string,
  slipped: string | null | undefined,
  contentHashes: Record<string, string>,
): Promise<WriteResult> {
  const { ctx, row, input } = e;
  const s = statSync(e.abs);
  const noWait = slipped === undefined && ctx.database.driver === "postgres";
  const history = ctx.db
    .update(syncHistory)
    .set({
      action: e.trigger === "restore" ? "restored" : "flushed",
      durationMs: Date.now() - e.started,
      ...(slipped === undefined ? {} : { previousContent: { [input.file]: slipped } }),
    })
    .where(eq(syncHistory.id, historyId))
    .returning({ id: syncHistory.id });
  const bookkeeping = ctx.db
    .update(openspecSpecs)
    .set({
      baseHashes: { ...row.baseHashes, [input.file]: hash },
      fileStats: { ...row.fileStats, [input.file]: statOf(s) },
      // just written: too recent to trust; the next bulk pass reads the folder once
      statFingerprint: null,
      fileModifiedAt: s.mtime,
      pendingFiles: row.pendingFiles.filter((f) => f !== input.file),
      syncError: null,
      lastSyncedAt: new Date(),
    })
    .where(
      noWait
        ? and(eq(openspecSpecs.id, row.id), sql`exists (select 1 from nowait)`)
        : eq(openspecSpecs.id, row.id),
    )
    .returning({ historyId: sql`(select id from h)`.as("history_id") });
  // Raw rows: named as the SQL names them; a bigint may come back as a string.
  const [done] = await ctx.database.run<{ history_id: number | string }>(
    noWait
      ? sql`with ${NO_WAL_WAIT}, h as (${history.getSQL()}) ${bookkeeping.getSQL()}`
      : sql`with h as (${history.getSQL()}) ${bookkeeping.getSQL()}`,
  );
  if (!done) throw new SpecsyncError("NOT_FOUND", `spec ${row.id} not found`);
  const about = { projectId: row.projectId, specId: row.id, name: row.name };
  ctx.events.publish({ type: "spec_changed", ...about, direction: "db_to_fs" }, historyId);
  // The hashes this save committed (the statement above leaves them as they are).
  return { row: { id: row.id, contentHashes }, hash, historyId };
}

// ------------------------------------------------------------------ conflicts and restore

/** Per-file three-way state of a change, without changing anything. */
export async function detectConflicts(
  ctx: SyncContext,
  specId: string,
): Promise<{ files: FileStatus[]; openConflict: OpenConflict | null }> {
  const row = await getRow(ctx, specId);
  const dir = openspecDir(await getProject(ctx, row.projectId));
  const folderAbs = resolveInside(dir, row.path);
  const disk = isFolder(folderAbs)
    ? readDisk(folderAbs, dir, folderOfRow(row), row)
    : { files: new Map<string, DiskFile>(), error: null };
  if (disk.error) throw new SpecsyncError("IO_ERROR", disk.error);
  return { files: compareFiles(disk.files, row), openConflict: row.conflict };
}

/**
 * Settle a conflict. `filesystem_wins` keeps the disk (already applied) and closes the conflict;
 * `db_wins` writes the discarded database version back to the files.
 */
export async function resolveConflict(
  ctx: SyncContext,
  specId: string,
  resolution: ConflictResolution,
  actor?: string,
): Promise<SyncOutcome> {
  const before = await syncSpec(ctx, specId, "conflict_resolution");
  const row = await getRow(ctx, specId);
  const open = row.conflict;
  if (!open) return before;
  const started = Date.now();
  const written = resolution === "db_wins" ? await writeKeptVersion(ctx, specId, open, actor) : [];
  await updateRow(ctx, specId, { conflict: null });
  const kept = open.historyId ? { keptVersionHistoryId: open.historyId } : {};
  const details: ConflictDetails = {
    files: open.files,
    fsModifiedAt: open.fsModifiedAt,
    dbModifiedAt: open.dbModifiedAt,
    resolution,
    automatic: false,
    ...kept,
  };
  const h = await ctx.history.record({
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
  ctx.events.publish(
    { type: "spec_changed", projectId: row.projectId, specId, name: row.name },
    h.id,
  );
  return {
    specId,
    name: row.name,
    path: row.path,
    action: "conflict",
    success: true,
    filesChanged: written,
    historyId: h.id,
  };
}

/**
 * `db_wins`: write back the database version the conflict kept in history. Returns the files
 * written.
 */
async function writeKeptVersion(
  ctx: SyncContext,
  specId: string,
  open: OpenConflict,
  actor?: string,
): Promise<string[]> {
  if (!open.historyId) return [];
  const kept = await ctx.history.get(open.historyId);
  const written: string[] = [];
  for (const file of open.files) {
    const content = kept?.previousContent?.[file];
    if (content === undefined || content === null) continue;
    const baseHash = (await getRow(ctx, specId)).contentHashes[file] ?? null;
    await writeFile(ctx, {
      id: specId,
      file,
      content,
      baseHash,
      actor,
      trigger: "conflict_resolution",
    });
    written.push(file);
  }
  return written;
}

/** Bring back a version kept in history: written to the database and flushed to the file. */
export async function restore(
  ctx: SyncContext,
  historyId: number,
  file: string | undefined,
  actor?: string,
): Promise<{ row: Pick<SpecRow, "id" | "contentHashes">; files: string[] }> {
  const h = await ctx.history.get(historyId);
  if (!h || !h.specId) {
    throw new SpecsyncError(
      "NOT_FOUND",
      `history entry ${historyId} not found or its change no longer exists`,
    );
  }
  const kept = h.previousContent ?? {};
  const files = file ? [file] : Object.keys(kept);
  if (files.length === 0)
    throw new SpecsyncError("BAD_REQUEST", `history entry ${historyId} keeps no previous content`);
  let row: Pick<SpecRow, "id" | "contentHashes"> = await getRow(ctx, h.specId);
  for (const f of files) {
    const content = kept[f];
    if (content === undefined)
      throw new SpecsyncError("NOT_FOUND", `history entry ${historyId} keeps no version of ${f}`);
    if (content === null) {
      throw new SpecsyncError(
        "BAD_REQUEST",
        `${f} did not exist in that version; delete it on disk to restore that state`,
      );
    }
    const baseHash = row.contentHashes[f] ?? null;
    row = (
      await writeFile(ctx, { id: h.specId, file: f, content, baseHash, actor, trigger: "restore" })
    ).row;
  }
  return { row, files };
}
