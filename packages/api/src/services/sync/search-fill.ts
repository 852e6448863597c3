/**
 * The search vectors a bulk import left out (migration 0015): `to_tsvector` was ~90 % of
 * PostgreSQL's time per imported row, so a large cold import on PostgreSQL inserts with the
 * vector NULL and this pass fills it afterwards on two other connections (the second core). Search
 * stays correct meanwhile: it computes the vector of a row that has none (specs-service.ts).
 * PGlite imports compute it inline (measured: the fill's row rewrites cost more than the import
 * saves on its one thread), but a data directory with NULL vectors is filled here too, in short
 * statements so other queries get the database thread between two of them.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { SyncContext } from "./types";

/**
 * Rows per fill statement: on PGlite a statement holds the one database thread, so requests wait
 * for at most ~25 rows' `to_tsvector` (~0.1 s); on PostgreSQL fewer, larger statements.
 */
const FILL_BATCH = { postgres: 100, pglite: 25 } as const;

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
    () => {},
    (e: unknown) => ctx.log?.(`search fill stopped: ${e instanceof Error ? e.message : e}`),
  );
  const running = run.finally(() => {
    if (ctx.searchFill.running === running) ctx.searchFill.running = null;
  });
  ctx.searchFill.running = running;
  return running;
}

async function fillLoop(ctx: SyncContext): Promise<void> {
  const statement = fill(FILL_BATCH[ctx.database.driver]);
  for (;;) {
    const done = await ctx.database.query(statement);
    if (done.length === 0) return;
    // Let waiting requests (and, on PGlite, their queries) go first.
    await sleep(ctx.database.driver === "pglite" ? 5 : 0);
  }
}
