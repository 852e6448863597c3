/**
 * The sync state this process last read per project, kept between bulk reconciles: the next one
 * uses it again, without reading 10,000 rows, when the project's sync-state generation (migration
 * 0019) still reads what it read in the same statement as the rows. Every committed write of a
 * row's sync state, by anyone (this process, another server, the CLI, psql), moves that value at
 * its commit, atomically with the rows it wrote, so an equal value means the rows are as cached;
 * any other value (or none cached), and the state is read in full, as before.
 */
import { stateGeneration, syncStateRows } from "./store";
import type { SyncContext, SyncStateRow } from "./types";

/**
 * The sync state of every row of a project, as a full read would answer now. The rows are shared
 * with the cache: callers must not change them.
 */
export async function projectState(ctx: SyncContext, projectId: string): Promise<SyncStateRow[]> {
  const cached = ctx.stateCache.get(projectId);
  if (cached && (await stateGeneration(ctx, projectId)) === cached.generation) return cached.rows;
  const read = await syncStateRows(ctx, projectId);
  // Two reads at once: each is exact; the later one to finish stays (either may serve next time,
  // as the generation decides).
  ctx.stateCache.set(projectId, read);
  return read.rows;
}
