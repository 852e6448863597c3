/**
 * The sync state this process last read per project, kept between bulk reconciles: the next one
 * asks PostgreSQL only for the rows written since (by anyone: this process, another server, the
 * CLI) instead of all of them. Correct by construction, not by bookkeeping of our own writes:
 * - a row whose last sync-state writer the cached snapshot saw is as cached (the trigger of
 *   migration 0019 stamps every write of those columns with its transaction);
 * - every other row is in the answer, so the merge holds every row that exists now, plus rows
 *   deleted since; the answer's row count (same statement, same snapshot) tells those apart: a
 *   merge of another size is thrown away and the state read in full.
 */
import { type StateRead, syncStateRows } from "./store";
import type { CachedState, SyncContext, SyncStateRow } from "./types";

const cached = (read: StateRead): CachedState => ({
  snapshot: read.snapshot,
  byId: new Map(read.rows.map((r) => [r.id, r])),
});

/**
 * The sync state of every row of a project, as a full read would answer now. The rows are shared
 * with the cache: callers must not change them.
 */
export async function projectState(ctx: SyncContext, projectId: string): Promise<SyncStateRow[]> {
  const base = ctx.stateCache.get(projectId);
  let next: CachedState | null = null;
  if (base) {
    const delta = await syncStateRows(ctx, projectId, base.snapshot);
    // A copy: a reconcile running beside this one may still be reading `base`.
    const byId = new Map(base.byId);
    for (const r of delta.rows) byId.set(r.id, r);
    if (byId.size === delta.total) next = { snapshot: delta.snapshot, byId };
  }
  next ??= cached(await syncStateRows(ctx, projectId));
  // Two reads at once: the one that started from the entry still there wins, the other is used
  // for its own reconcile only (both are exact; neither may replace a newer one).
  if (ctx.stateCache.get(projectId) === base) ctx.stateCache.set(projectId, next);
  return [...next.byId.values()];
}
