/**
 * The search vectors a bulk import left out (migration 0015): `to_tsvector` was ~90 % of
 * PostgreSQL's time per imported row, so a large cold import inserts with the vector NULL and this
 * pass fills it afterwards: on PostgreSQL on two other connections (the second core), on PGlite
 * in short statements so other queries get the database thread between two of them. Meanwhile
 * search computes the vectors of a few waiting rows and matches the rest by name and title,
 * saying how many (specs-service.ts). A data directory with NULL vectors (a process stopped
 * mid-fill) is filled by the next process's first full sync.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { SyncContext } from "./types";

/**
 * Rows per fill statement: on PGlite a statement holds the one database thread, so a request
 * waits for at most ~10 rows' vector and row rewrite (25 measured: a save's statements each waited
 * behind one, worst 1.2-1.5 s at load 12-15; 10: worst 0.35 s); on PostgreSQL larger statements.
 */
const FILL_BATCH = { postgres: 100, pglite: 10 } as const;

/** Below this many new folders an import computes the vectors inline, as every other write does. */
export const DEFER_SEARCH_FROM = 200;

const fill = (rows: number) => `update openspec_specs s
  set search = openspec_specs_search_of(s)
  where id in (select id from openspec_specs where search is null limit ${rows}
               for update skip locked)
  returning 1 as one`;

/**
 * Start the fill unless one is running; resolves when no row is left without a vector (or the
 * database went away: the next full sync starts it again). Never rejects.
 */
export function startSearchFill(ctx: SyncContext): Promise<void> {
  if (ctx.searchFill.running) return ctx.searchFill.running;
  // PostgreSQL: two connections, so the fill uses both cores once the import is done.
  const workers = ctx.database.driver === "postgres" ? 2 : 1;
  const run = Promise.all(Array.from({ length: workers }, () => fillLoop(ctx))).then(
    (filled) =>
      vacuumAfter(
        ctx,
        filled.reduce((a, b) => a + b, 0),
      ),
    (e: unknown) => ctx.log?.(`search fill stopped: ${e instanceof Error ? e.message : e}`),
  );
  const running = run.finally(() => {
    if (ctx.searchFill.running === running) ctx.searchFill.running = null;
  });
  ctx.searchFill.running = running;
  return running;
}

/**
 * Each filled row is a new row version in every index (never HOT: the GIN-indexed column changed).
 * PGlite runs no autovacuum, so after a large fill the table and its indexes would stay twice their
 * size (a no-op reconcile of 10,000 changes read 265 → 510 ms); vacuum once, as autovacuum would.
 */
async function vacuumAfter(ctx: SyncContext, filled: number): Promise<void> {
  if (ctx.database.driver !== "pglite" || filled < VACUUM_AFTER) return;
  await ctx.database.query("vacuum analyze openspec_specs");
}

/** Rows filled (by one pass) above which PGlite's fill vacuums the table after it. */
const VACUUM_AFTER = 200;

/** Fills until no row is left; how many it filled. */
async function fillLoop(ctx: SyncContext): Promise<number> {
  const statement = fill(FILL_BATCH[ctx.database.driver]);
  for (let filled = 0; ; ) {
    const done = await ctx.database.query(statement);
    if (done.length === 0) return filled;
    filled += done.length;
    // Let waiting requests (and, on PGlite, their queries) go first.
    await sleep(ctx.database.driver === "pglite" ? 5 : 0);
  }
}
