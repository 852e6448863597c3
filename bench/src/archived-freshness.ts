import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createServices } from "@specsync/api";
import type { Database, ProjectRow } from "@specsync/db";
import { percentile } from "./measure";

export type Freshness = {
  /** Edit → the DB row holds it, per edit, ms. */
  ms: number[];
  max: number;
  median: number;
  /** The longest scheduler pass seen while the edits waited (a pass checks every due row). */
  passMs: number;
  /** Edits whose row the periodic pass wrote (the rest: the watcher or the git watcher). */
  byScheduler: number;
};

/**
 * `$from, $from+1, …` for an `in (…)` list: no array parameters (the PostgreSQL client skips the
 * type lookup they need).
 */
const marks = (xs: readonly unknown[], from: number) => xs.map((_, i) => `$${from + i}`).join(", ");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Issue #17's freshness of archived folders: an in-place edit of an archived proposal, which no
 * watcher reports (the archive watch is one non-recursive watch on `changes/archive`), reaches
 * the DB through the periodic pass alone. The whole runtime runs as `specsync serve` runs it
 * (startup sync, watchers, the real SyncScheduler on its cron with `periodS`, staleness equal to
 * the period as SPECSYNC_CRON and SPECSYNC_STALE_SECONDS are set together); after its first pass,
 * `edits` archived proposals are rewritten at random offsets within two periods, and each is timed
 * until its row holds the new bytes. Bound: the period plus one pass (the edit lands just after its
 * row was checked; the next pass, one period later, checks it again).
 */
export async function archivedFreshness(
  database: Database,
  project: ProjectRow,
  archived: readonly string[],
  opts: { periodS: number; edits: number },
): Promise<Freshness> {
  const services = createServices(database, {
    scheduler: {
      cron: opts.periodS === 1 ? "* * * * * *" : `*/${opts.periodS} * * * * *`,
      staleSeconds: opts.periodS,
    },
  });
  const deadline = (opts.periodS * 3 + 30) * 1000;
  await services.runtime.start([project.rootPath]);
  try {
    const scheduler = () => services.runtime.state()[0]?.scheduler ?? null;
    const passes = new Map<number, number>();
    const notePass = () => {
      const run = scheduler();
      if (run?.ran) passes.set(run.at.getTime(), run.ms);
    };
    // Steady state: the first pass after the startup sync has run.
    for (const t = performance.now(); !scheduler(); await sleep(50)) {
      if (performance.now() - t > deadline) throw new Error("the scheduler never ran");
    }
    const nonce = Math.random().toString(36).slice(2, 8);
    // Evenly spread over the archived folders, so not all from one end of a pass's order.
    const step = Math.max(1, Math.floor(archived.length / opts.edits));
    const folders = Array.from(
      { length: opts.edits },
      (_, i) => archived[(i * step) % archived.length],
    );
    // By primary key: the poll stays cheap beside the pass it waits for.
    const ids = new Map(
      (
        await database.query<{ id: string; path: string }>(
          `select id, path from openspec_specs
            where project_id = $1 and path in (${marks(folders, 2)})`,
          [project.id, ...folders],
        )
      ).map((r) => [r.path, r.id]),
    );
    const edited = new Map<string, number>();
    const timers = folders.map((folder, i) =>
      setTimeout(
        () => {
          if (!folder) return;
          const file = path.join(project.rootPath, "openspec", folder, "proposal.md");
          const body = readFileSync(file, "utf8").replace(/\n<!-- fresh \S+ -->\n$/, "");
          // In place (same inode): what an editor's plain save or a script does.
          writeFileSync(file, `${body}\n<!-- fresh ${nonce}-${i} -->\n`);
          edited.set(folder, performance.now());
        },
        // Stratified over two periods: with a cutoff that misses a row checked in the last pass,
        // passes alternate between checking every row and checking none, and a window of one
        // period can fall wholly before a pass that checks them.
        ((i + Math.random()) / opts.edits) * 2 * opts.periodS * 1000,
      ),
    );
    const seen = new Map<string, number>();
    const start = performance.now();
    try {
      while (seen.size < folders.length) {
        if (performance.now() - start > deadline) {
          throw new Error(
            `archived edits: ${seen.size}/${folders.length} in the DB after ${deadline} ms`,
          );
        }
        await sleep(50);
        notePass();
        const waiting = [...edited.keys()].filter((f) => !seen.has(f)).map((f) => ids.get(f));
        if (!waiting.length) continue;
        const rows = await database.query<{ path: string }>(
          `select path from openspec_specs where position($1 in proposal_content) > 0
            and id in (${marks(waiting, 2)})`,
          [`<!-- fresh ${nonce}-`, ...waiting],
        );
        const now = performance.now();
        for (const r of rows) seen.set(r.path, now - (edited.get(r.path) ?? now));
      }
    } finally {
      for (const t of timers) clearTimeout(t);
    }
    notePass();
    const history = await database.query<{ trigger: string }>(
      `select distinct on (spec_id) trigger from sync_history
        where spec_id in (${marks([...ids.values()], 1)}) order by spec_id, id desc`,
      [...ids.values()],
    );
    const ms = [...seen.values()];
    return {
      ms,
      max: Math.max(...ms),
      median: percentile(ms, 50),
      passMs: Math.max(0, ...passes.values()),
      byScheduler: history.filter((h) => h.trigger === "periodic").length,
    };
  } finally {
    await services.runtime.stop();
  }
}
