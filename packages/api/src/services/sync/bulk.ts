/**
 * Many folders at once: a whole project, the scheduler's batches, what a watcher may have missed.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { ProjectRow } from "@specsync/db";
import { SYNC_DEFAULTS } from "@specsync/settings";
import type { SyncTrigger } from "@specsync/validators";
import { chunk, mapLimit } from "../../utils/concurrency";
import { type FingerprintCheck, unchangedFolders } from "../../utils/fs/folder-fingerprint";
import { classifyFolder, type FolderRef, scanWorkspace } from "../../utils/fs/scan-workspace";
import { present } from "../../utils/present";
import { type ParsePool, sharedParsePool } from "../parse-pool";
import { insertColumns } from "./bulk-load";
import { type ImportRunner, importPools } from "./import-pools";
import { joinReads, type NewRow, type ReadNewResult } from "./import-read";
import { noop, storedFingerprint, syncLocked } from "./reconcile";
import { DEFER_SEARCH_FROM, startSearchFill } from "./search-fill";
import { projectState } from "./state-cache";
import { insertNewRows, lockKey, markChecked, markFullSync, openspecDir, rowPaths } from "./store";
import type { SyncContext, SyncOutcome, SyncStateRow, SyncSummary } from "./types";

/** Rows per multi-row INSERT when importing new folders. */
const CREATE_BATCH = 50;
/** Above this many folders, per-folder `spec_changed` events give way to one summary event. */
const ANNOUNCE_UP_TO = 20;
/** Above this many folders, new folders that cannot be moves are imported with batch INSERTs. */
const BATCH_CREATE_ABOVE = 20;
/** Folders a no-op chunk stats: between two yields here, or one pool job (~5-25 ms of stats). */
const QUICK_CHUNK = 250;
/** Folders this thread stats between two yields while the worker stats too (~1-5 ms). */
const HERE_SLICE = 50;

type Item = { ref: FolderRef; row: SyncStateRow | null | undefined };

export type ProjectSyncOptions = {
  concurrency?: number;
  /** Narrows the folders (the scheduler passes archived/stale ones). */
  only?: (ref: FolderRef, row: SyncStateRow | undefined) => boolean;
};

const summaryOf = (outcomes: SyncOutcome[]): SyncSummary => {
  const failed = outcomes.filter((o) => !o.success).length;
  const changed = outcomes.filter((o) => o.action !== "noop").length;
  return { total: outcomes.length, succeeded: outcomes.length - failed, failed, changed, outcomes };
};

/** Reconcile a whole project: every folder on disk, plus every row whose folder is gone. */
export async function syncProject(
  ctx: SyncContext,
  project: ProjectRow,
  trigger: SyncTrigger,
  options: ProjectSyncOptions = {},
): Promise<SyncSummary> {
  const started = Date.now();
  const about = { projectId: project.id, specId: null, name: project.name };
  if (trigger !== "periodic") ctx.events.publish({ type: "sync_started", ...about });
  const dir = openspecDir(project);
  if (!existsSync(dir)) return noWorkspace(ctx, project, trigger, started);
  const { items, moveCandidates } = await projectItems(ctx, project, dir, options.only);
  const full = !options.only;
  const summary = await reconcileMany(ctx, project, items, trigger, {
    concurrency: options.concurrency ?? SYNC_DEFAULTS.concurrency,
    moveCandidates,
    // A full sync with no failure stamps the project instead (below); otherwise each row.
    markNoops: (outcomes) => !full || outcomes.some((o) => !o.success),
  });
  const { outcomes, failed, changed } = summary;
  if (full) await markFullSync(ctx, project.id, failed === 0);
  // What this sync wrote is read back now, while it is the sync with work to do, rather than by
  // the next periodic one, which is then a no-op with nothing to read (an import: ~0.2 s).
  if (full && changed > 0) await projectState(ctx, project.id).catch(() => {});
  // After a bulk import the planner's statistics are stale (it guessed 59 rows for 8,000 and
  // picked a plan 20× slower for the list query); refresh them rather than wait for autovacuum.
  if (changed >= 200) await ctx.database.query("analyze openspec_specs").catch(() => {});
  // The vectors this import left out, or (the first full sync) those a stopped process left out.
  if (changed >= DEFER_SEARCH_FROM || (full && !ctx.searchFill.checked)) {
    ctx.searchFill.checked = true;
    void startSearchFill(ctx);
  }
  if (trigger !== "periodic" || changed > 0) {
    const error = failed ? { error: `${failed} of ${outcomes.length} failed` } : {};
    ctx.events.publish({ type: failed ? "sync_failed" : "sync_completed", ...about, ...error });
  }
  const took = Date.now() - started;
  ctx.log?.(
    `sync ${project.name} (${trigger}): ${outcomes.length} folders, ${changed} changed, ` +
      `${failed} failed in ${took} ms`,
  );
  return summary;
}

async function noWorkspace(
  ctx: SyncContext,
  project: ProjectRow,
  trigger: SyncTrigger,
  started: number,
): Promise<SyncSummary> {
  const error = `no openspec/ folder at ${project.rootPath}`;
  const durationMs = Date.now() - started;
  const direction = "fs_to_db";
  await ctx.history.record({
    projectId: project.id,
    direction,
    trigger,
    action: "failed",
    success: false,
    error,
    durationMs,
  });
  ctx.events.publish({
    type: "sync_failed",
    projectId: project.id,
    specId: null,
    name: project.name,
    error,
  });
  const outcome: SyncOutcome = {
    specId: null,
    name: project.name,
    path: "",
    action: "failed",
    success: false,
    error,
    filesChanged: [],
  };
  return { total: 0, succeeded: 0, failed: 1, changed: 0, outcomes: [outcome] };
}

/**
 * Folders on disk, then rows whose folder vanished (moved or deleted: visiting the old path
 * resolves both).
 */
async function projectItems(
  ctx: SyncContext,
  project: ProjectRow,
  dir: string,
  only: ProjectSyncOptions["only"],
) {
  // The query first: PostgreSQL builds its answer while this thread scans (both are snapshots,
  // and nothing is decided from either without a stat or a locked read after). The driver sends
  // it a few microtasks later, hence the yield; a scan that throws leaves it settled, not unheard.
  const reading = projectState(ctx, project.id);
  reading.catch(() => {});
  await yieldToLoop();
  const refs = scanWorkspace(dir);
  const rows = await reading;
  const byPath = new Map(rows.map((r) => [r.path, r]));
  const onDisk = new Set(refs.map((r) => r.path));
  const targets = refs.filter((ref) => !only || only(ref, byPath.get(ref.path)));
  for (const row of rows) {
    if (row.deletedAt || onDisk.has(row.path)) continue;
    const ref = classifyFolder(row.path);
    if (ref && (!only || only(ref, row))) targets.push(ref);
  }
  // Only names that have a vanished or deleted row can be moves.
  const moveCandidates = new Set(
    rows.filter((r) => r.deletedAt || !onDisk.has(r.path)).map((r) => r.name),
  );
  return {
    items: targets.map((ref) => ({ ref, row: byPath.get(ref.path) ?? null })),
    moveCandidates,
  };
}

/** Reconcile known rows (the scheduler's stale batch) without re-reading each row first. */
export function syncRows(
  ctx: SyncContext,
  project: ProjectRow,
  rows: SyncStateRow[],
  trigger: SyncTrigger,
  concurrency: number = SYNC_DEFAULTS.concurrency,
): Promise<SyncSummary> {
  const items = rows.flatMap((row) => {
    const ref = classifyFolder(row.path);
    return ref ? [{ ref, row }] : [];
  });
  return reconcileMany(ctx, project, items, trigger, { concurrency });
}

/**
 * Folders on disk with no row, and live rows whose folder is gone: what a watcher may have missed.
 */
export async function discover(
  ctx: SyncContext,
  project: ProjectRow,
  trigger: SyncTrigger,
  concurrency: number = SYNC_DEFAULTS.concurrency,
): Promise<SyncSummary> {
  const dir = openspecDir(project);
  if (!existsSync(dir)) return summaryOf([]);
  const refs = scanWorkspace(dir);
  const rows = await rowPaths(ctx, project.id);
  const live = new Set(rows.filter((r) => !r.deletedAt).map((r) => r.path));
  const onDisk = new Set(refs.map((r) => r.path));
  const items = [
    ...refs.filter((r) => !live.has(r.path)),
    ...[...live].filter((p) => !onDisk.has(p)).flatMap((p) => classifyFolder(p) ?? []),
  ].map((ref) => ({ ref, row: undefined }));
  return reconcileMany(ctx, project, items, trigger, { concurrency });
}

async function reconcileMany(
  ctx: SyncContext,
  project: ProjectRow,
  items: Item[],
  trigger: SyncTrigger,
  opts: {
    concurrency: number;
    moveCandidates?: ReadonlySet<string>;
    /** Whether the unchanged rows get a `sync_checks` stamp each (default: yes). */
    markNoops?: (outcomes: readonly SyncOutcome[]) => boolean;
  },
): Promise<SyncSummary> {
  const { concurrency, moveCandidates } = opts;
  // Many folders at once: one summary event (the caller's) instead of one per folder.
  const announce = items.length <= ANNOUNCE_UP_TO;
  const batchCreate = items.length > BATCH_CREATE_ABOVE;
  // Folders with no row that cannot be moves are imported in batches; the rest one by one.
  const isNew = (i: Item) =>
    batchCreate && i.row === null && !!moveCandidates && !moveCandidates.has(i.ref.name);
  const fresh = items.filter(isNew).map((i) => i.ref);
  // A large import leaves the search vectors to a background fill (search-fill.ts); on PGlite
  // too, though the fill then costs its one thread more than the import saves: the import is
  // done (and the rows listed) sooner, and search says it is catching up (specs-service.ts).
  const deferSearch = fresh.length >= DEFER_SEARCH_FROM;
  const batchConcurrency = Math.max(1, Math.floor(concurrency / 5));
  const secondWorker = deferSearch && ctx.database.driver === "postgres";
  const pools = importPools(sharedParsePool(), secondWorker);
  // One creation time for every row this pass creates (ReconcileOptions).
  const createdAt = new Date();
  const created = await mapLimit(
    chunk(fresh, CREATE_BATCH),
    batchConcurrency * pools.lanes,
    (refs) =>
      createBatch(ctx, project, refs, trigger, { deferSearch, pool: pools.runner, createdAt }),
  ).finally(pools.close);
  // PostgreSQL fills on other cores while this thread finishes; PGlite once the sync is done
  // (syncProject), as its statements would otherwise queue before the sync's last ones.
  if (deferSearch && ctx.database.driver === "postgres") void startSearchFill(ctx);
  const others = items.filter((i) => !isNew(i));
  const quick = await quickNoops(ctx, project, others);
  const rest = others.filter((_, i) => !quick[i]);
  const synced = await mapLimit(rest, concurrency, ({ ref, row }) =>
    syncLocked(ctx, project, ref, trigger, { row, announce, createdAt }),
  );
  let next = 0;
  const outcomes = [
    ...created.flat(),
    ...quick.map((q) => q ?? present(synced[next++], "a synced outcome")),
  ];
  // Unchanged rows only get their check time bumped.
  if (opts.markNoops?.(outcomes) ?? true) {
    await markChecked(
      ctx,
      outcomes.flatMap((o) => (o.action === "noop" && o.specId ? [o.specId] : [])),
    );
  }
  return summaryOf(outcomes);
}

/**
 * The unchanged folders, decided without a lock, a promise and a task each (a no-op reconcile of
 * 10,000 folders is ~100,000 stats and little else). Once the pool has a worker, it stats most
 * parts (two jobs queued, its own small heap collecting the `Stats` garbage) while this thread,
 * idle otherwise, takes parts too, in short slices that yield to requests and, on PGlite, the
 * database. A folder whose lock is busy, before or after its stats, is left to the locked path (a
 * job that ran meanwhile handled its folder itself).
 */
async function quickNoops(
  ctx: SyncContext,
  project: ProjectRow,
  items: readonly Item[],
  pool: ParsePool = sharedParsePool(),
): Promise<(SyncOutcome | null)[]> {
  const out: (SyncOutcome | null)[] = items.map(() => null);
  const dir = openspecDir(project);
  const free = (ref: FolderRef) => ctx.mutex.isFree(lockKey(project.id, ref));
  const todo = items.flatMap(({ ref, row }, i) => {
    const stored = storedFingerprint(row);
    return row && stored && free(ref) ? [{ i, ref, id: row.id, files: row.files, stored }] : [];
  });
  const parts = chunk(todo, QUICK_CHUNK);
  const checksOf = (part: typeof todo): FingerprintCheck[] =>
    part.map((t) => [path.join(dir, t.ref.path), t.files, t.stored]);
  const decide = (part: typeof todo, same: readonly boolean[]) => {
    for (const [k, t] of part.entries()) if (same[k] && free(t.ref)) out[t.i] = noop(t.ref, t.id);
  };
  let next = 0;
  const onPool = async () => {
    for (let part = parts[next++]; part; part = parts[next++]) {
      const checks = checksOf(part);
      const job = { op: "fingerprints" as const, checks };
      decide(part, await pool.run(job).catch(() => unchangedFolders(checks)));
    }
  };
  // Here, in slices with a yield between them: the worker's replies (and the dispatch of its
  // next queued job) wait for the event loop, so a long slice would leave the worker idle.
  const onHere = async () => {
    for (let part = parts[next++]; part; part = parts[next++]) {
      for (const slice of chunk(part, HERE_SLICE)) {
        const same = unchangedFolders(checksOf(slice));
        decide(slice, same);
        await yieldToLoop();
      }
    }
  };
  // The worker and this thread take parts from the same list: both cores stat at once.
  await Promise.all(pool.started ? [onPool(), onPool(), onHere()] : [onHere()]);
  return out;
}

/** Hold the locks of all `refs` until `committed` settles; resolves once all are acquired. */
async function holdLocks(
  ctx: SyncContext,
  keys: string[],
  committed: Promise<void>,
): Promise<Promise<unknown>[]> {
  const held: Promise<unknown>[] = [];
  await Promise.all(
    keys.map(
      (key) =>
        new Promise<void>((acquired) =>
          held.push(ctx.mutex.run(key, () => (acquired(), committed))),
        ),
    ),
  );
  return held;
}

/**
 * Import brand-new folders in one multi-row INSERT (cold start, first sync of a big workspace):
 * far fewer round trips and bytes on the wire than one transaction per folder. Every folder's lock
 * is held until the batch commits; anything unusual (unreadable file, a row that appeared
 * meanwhile)
 * falls back to the one-folder path, which records it properly.
 */
async function createBatch(
  ctx: SyncContext,
  project: ProjectRow,
  refs: FolderRef[],
  trigger: SyncTrigger,
  opts: { deferSearch: boolean; pool: ImportRunner; createdAt: Date },
): Promise<SyncOutcome[]> {
  const { deferSearch, createdAt } = opts;
  const started = Date.now();
  let release = () => {};
  const committed = new Promise<void>((r) => (release = r));
  const held = await holdLocks(
    ctx,
    refs.map((ref) => lockKey(project.id, ref)),
    committed,
  );
  const outcomes = new Map<string, SyncOutcome>();
  const fallback: FolderRef[] = [];
  try {
    const { rows, json, columns, unusual } = await newRows(project, refs, opts.pool);
    fallback.push(...unusual);
    const batch = { rows, json, columns };
    const inserted = rows.length
      ? await insertNewRows(ctx, project, batch, trigger, { started, deferSearch, createdAt })
      : new Map();
    for (const ref of rows.length ? refs : []) {
      const r = inserted.get(ref.path);
      if (r) {
        const ids = r.historyId === undefined ? {} : { historyId: r.historyId };
        outcomes.set(ref.path, {
          specId: r.id,
          name: ref.name,
          path: ref.path,
          action: "created",
          success: true,
          filesChanged: r.files,
          ...ids,
        });
      } else if (!fallback.includes(ref)) fallback.push(ref); // a row appeared meanwhile
    }
  } finally {
    release();
    await Promise.all(held);
  }
  for (const ref of fallback)
    outcomes.set(
      ref.path,
      await syncLocked(ctx, project, ref, trigger, { announce: false, createdAt }),
    );
  return refs.flatMap((ref) => outcomes.get(ref.path) ?? []);
}

/**
 * The rows of new folders, read in full; folders that need the careful path are `unusual`. A
 * pool worker reads and parses them and serialises the batch's rows as one JSON text
 * (import-read.ts) while the event loop runs the other batches' statements: one string a batch,
 * which the event loop's heap takes as one large object instead of 50 strings its young
 * generation would copy. A batch whose job fails (worker died, over the time limit) is read again
 * a folder a job, so each gets the time limit its own parse had; a folder whose job fails too
 * takes the one-folder path.
 */
async function newRows(
  project: ProjectRow,
  refs: FolderRef[],
  pool: ImportRunner,
): Promise<ReadNewResult & { rows: NewRow[]; unusual: FolderRef[] }> {
  const dir = openspecDir(project);
  const row = { projectId: project.id, now: Date.now(), columns: insertColumns };
  const failed = (): ReadNewResult => ({ rows: [null], json: "[]", columns: "" });
  const read =
    (await pool.run({ op: "readNew", dir, refs, row }).catch(() => null)) ??
    joinReads(
      await Promise.all(
        refs.map((ref) => pool.run({ op: "readNew", dir, refs: [ref], row }).catch(failed)),
      ),
    );
  const unusual: FolderRef[] = [];
  const rows: NewRow[] = [];
  for (const [i, ref] of refs.entries()) {
    const r = read.rows[i];
    if (r) rows.push(r);
    else unusual.push(ref);
  }
  return { ...read, rows, unusual };
}
