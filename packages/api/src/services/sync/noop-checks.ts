/**
 * The no-op shortcut of a bulk reconcile: which folders still match their stored fingerprint,
 * decided from stats alone (a no-op reconcile of 10,000 folders is ~100,000 stats and little else).
 */
import path from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { ProjectRow } from "@specsync/db";
import { chunk } from "../../utils/concurrency";
import { type FingerprintCheck, unchangedFolders } from "../../utils/fs/folder-fingerprint";
import type { FolderRef } from "../../utils/fs/scan-workspace";
import type { ParsePool } from "../parse-pool";
import { noop, storedFingerprint } from "./reconcile";
import { lockKey, openspecDir } from "./store";
import type { SyncContext, SyncOutcome, SyncStateRow } from "./types";

/** Folders a no-op chunk stats: between two yields here, or one pool job (~5-25 ms of stats). */
const QUICK_CHUNK = 250;
/** Pool jobs in flight: two, so the worker never waits for the event loop, and no more. */
const IN_FLIGHT = 2;

type Item = { ref: FolderRef; row: SyncStateRow | null | undefined };
type Answer = { same: Promise<boolean[]>; k: number };

/**
 * Fingerprint checks on the pool's worker, started as rows arrive (a full sync starts them while
 * the rest of the state is still being read and the workspace scanned), two jobs in flight so a
 * parse that arrives meanwhile waits for at most one job. Answers are per row object: a later
 * read of the same folder is a different object and is checked again.
 */
export class PoolChecks {
  private readonly answers = new Map<SyncStateRow, Answer>();
  private readonly queue: { checks: FingerprintCheck[]; settle: (same: boolean[]) => void }[] =
    [];
  private running = 0;

  constructor(
    private readonly pool: ParsePool,
    private readonly dir: string,
  ) {}

  /** Start the checks of the `rows` that have a stored fingerprint and whose lock is free. */
  start(rows: readonly SyncStateRow[], free: (row: SyncStateRow) => boolean): void {
    const todo = rows.flatMap((row) => {
      const stored = storedFingerprint(row);
      return stored && free(row) ? [{ row, stored }] : [];
    });
    for (const part of chunk(todo, QUICK_CHUNK)) {
      const same = this.run(
        part.map(({ row, stored }) => [path.join(this.dir, row.path), row.files, stored]),
      );
      for (const [k, { row }] of part.entries()) this.answers.set(row, { same, k });
    }
  }

  /** The answer for a row whose check was started (its job's and its index), else undefined. */
  answer(row: SyncStateRow): Answer | undefined {
    return this.answers.get(row);
  }

  run(checks: FingerprintCheck[]): Promise<boolean[]> {
    return new Promise((settle) => {
      this.queue.push({ checks, settle });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < IN_FLIGHT) {
      const next = this.queue.shift();
      if (!next) return;
      this.running++;
      const { checks, settle } = next;
      void this.pool
        .run({ op: "fingerprints" as const, checks })
        .catch(() => unchangedFolders(checks))
        .then((same) => {
          this.running--;
          settle(same);
          this.pump();
        });
    }
  }
}

/**
 * The unchanged folders, decided without a lock, a promise and a task each. Once the pool has a
 * worker, the stats run there (`early`: checks a full sync started while reading the state): its
 * own small heap collects the `Stats` garbage, and the event loop stays free for requests and, on
 * PGlite, the database. Otherwise they run here, yielding between chunks. A folder whose lock is
 * busy, before or after its stats, is left to the locked path (a job that ran meanwhile handled
 * its folder itself).
 */
export async function quickNoops(
  ctx: SyncContext,
  project: ProjectRow,
  items: readonly Item[],
  pool: ParsePool,
  early?: PoolChecks,
): Promise<(SyncOutcome | null)[]> {
  const out: (SyncOutcome | null)[] = items.map(() => null);
  const dir = openspecDir(project);
  const free = (ref: FolderRef) => ctx.mutex.isFree(lockKey(project.id, ref));
  const todo = items.flatMap(({ ref, row }, i) => {
    const stored = storedFingerprint(row);
    return row && stored && free(ref) ? [{ i, ref, row, stored }] : [];
  });
  const decide = (t: (typeof todo)[number], same: boolean | undefined) => {
    if (same && free(t.ref)) out[t.i] = noop(t.ref, t.row.id);
  };
  const checksOf = (part: typeof todo): FingerprintCheck[] =>
    part.map((t) => [path.join(dir, t.ref.path), t.row.files, t.stored]);
  // Checks already started, grouped by their job; the rest are checked now.
  const byJob = new Map<Promise<boolean[]>, [(typeof todo)[number], number][]>();
  const rest: typeof todo = [];
  for (const t of todo) {
    const a = early?.answer(t.row);
    if (!a) rest.push(t);
    else {
      const ts = byJob.get(a.same) ?? [];
      if (!ts.length) byJob.set(a.same, ts);
      ts.push([t, a.k]);
    }
  }
  const known = [...byJob].map(async ([job, ts]) => {
    const same = await job;
    for (const [t, k] of ts) decide(t, same[k]);
  });
  if (pool.started) {
    const checks = early ?? new PoolChecks(pool, dir);
    const fresh = chunk(rest, QUICK_CHUNK).map(async (part) => {
      const same = await checks.run(checksOf(part));
      for (const [k, t] of part.entries()) decide(t, same[k]);
    });
    await Promise.all([...fresh, ...known]);
    return out;
  }
  await Promise.all(known);
  for (const part of chunk(rest, QUICK_CHUNK)) {
    const same = unchangedFolders(checksOf(part));
    for (const [k, t] of part.entries()) decide(t, same[k]);
    await yieldToLoop();
  }
  return out;
}
