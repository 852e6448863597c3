// A large PostgreSQL import reads its batches on two parse workers (the shared pool's one and one of
// its own), each batch on the one with fewer jobs running; a small or PGlite import on the shared
// pool alone.
import { availableParallelism } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { ParsePool } from "../src";
import { importPools } from "../src/services/sync/import-pools";

const shared = new ParsePool({ size: 1 });
afterAll(() => shared.close());

/** The shared pool's jobs, counted (the real pool still runs them). */
function counted(pool: ParsePool): () => number {
  let n = 0;
  const run = pool.run.bind(pool) as (job: never) => Promise<unknown>;
  pool.run = ((job: never) => {
    n++;
    return run(job);
  }) as ParsePool["run"];
  return () => n;
}

const job = { op: "page" as const, tasks: "- [ ] one\n- [x] two\n" };

describe.skipIf(availableParallelism() < 2)("a large import's parse workers", () => {
  it("spreads concurrent jobs over the shared worker and one of its own, then closes that", async () => {
    const onShared = counted(shared);
    const pools = importPools(shared, true);
    expect(pools.lanes).toBe(2);
    const results = await Promise.all(Array.from({ length: 4 }, () => pools.runner.run(job)));
    expect(results.every((r) => r.tasks?.length === 2)).toBe(true);
    expect(onShared()).toBe(2);
    await pools.close();
    // The shared pool outlives the import.
    expect((await shared.run(job)).tasks?.length).toBe(2);
  });

  it("keeps to the shared pool when not asked for a second worker", async () => {
    const pools = importPools(shared, false);
    expect(pools.lanes).toBe(1);
    expect(pools.runner).toBe(shared);
  });
});
