/**
 * Probe: `services.overlaps.forChange(id)` in process, timed as `pnpm bench` times it (5 warm-up
 * calls, then `calls` over the first 200 active changes of the list, a fresh service so the parse
 * cache starts cold), on a reused database, so builds can be interleaved on the same data.
 *
 *   node --import tsx bench/src/overlaps-probe.ts <dir> [calls] [--driver postgres|pglite]
 *     [--db <name> | --pgdata <dir>]   (another copy of the imported database, same workspace)
 *     [--warm N]   (N calls on other changes first, with another service: a warm process)
 *
 * The first run for a dir generates the bench's workspace (10,000 changes, seed 42), imports it
 * (PostgreSQL: database `<basename(dir)>_db`; PGlite: `<dir>/pgdata`) and seeds the agent state as
 * the bench does. Prints p50 / p95 / min of the calls, the candidate rows per call and the
 * process CPU of the timed calls.
 */
import { existsSync, mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { createServices } from "@specsync/api";
import { generateWorkspace, loadPool } from "@specsync/api/testing";
import { createDb, runMigrations } from "@specsync/db";
import { seedAgentState } from "./agents";
import { summary } from "./measure";
import { must } from "./must";
import { probeDatabase } from "./probe-db";

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const driver = option("--driver") ?? "postgres";
const [dir = "/tmp/ovl-probe", callsArg = "100"] = args.filter(
  (a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"),
);
const ws = path.join(dir, "ws");
let fresh: boolean;
let database: Awaited<ReturnType<typeof createDb>>;
if (driver === "pglite") {
  const dataDir = option("--pgdata") ?? path.join(dir, "pgdata");
  fresh = !existsSync(dataDir);
  database = await createDb({ dataDir });
} else {
  const name = option("--db") ?? `${path.basename(dir).replace(/\W/g, "_")}_db`;
  const db = await probeDatabase(name);
  fresh = db.created;
  database = await createDb({ url: db.url });
}
await runMigrations(database);
let services = createServices(database);
if (!existsSync(ws)) {
  mkdirSync(ws, { recursive: true });
  generateWorkspace(ws, { changes: 10_000, seed: 42 }, loadPool());
}
const project = await services.sync.ensureProject(ws);
if (fresh) {
  const first = await services.sync.syncProject(project, "startup");
  await services.sync.searchFilled();
  console.log(`import: ${first.total} folders`);
  const seeded = await seedAgentState(services, project);
  console.log(`seeded: ${seeded.active} active, ${seeded.dependencies} dependencies`);
}
const ids = (
  await services.specs.list({ projectId: project.id, kind: "change", archived: false, limit: 200 })
).items.map((i) => i.id);
// --warm N: N calls on other active changes first, with a throwaway service, so the process (PGlite's
// WebAssembly, the database's pages) is warm as the bench's is after its import, but the timed
// service's cache is not.
const warm = Number(option("--warm") ?? 0);
if (warm) {
  const others = await database.query<{ id: string }>(
    `select id from openspec_specs where project_id = $1 and kind = 'change' and not archived
      and deleted_at is null and not (id = any(string_to_array($2, ',')::uuid[])) limit $3`,
    [project.id, ids.join(","), warm],
  );
  const throwaway = createServices(database);
  for (const o of others) await throwaway.overlaps.forChange(o.id);
}
// A fresh service: the parse cache starts cold, as in the bench.
services = createServices(database);
const calls = Number(callsArg);
const id = (i: number) => must(ids[i % ids.length], "change id");
for (let i = 0; i < 5; i++) await services.overlaps.forChange(id(i));
const load = loadavg()[0]?.toFixed(1);
const xs: number[] = [];
let found = 0;
const cpu = process.cpuUsage();
for (let i = 0; i < calls; i++) {
  const t = performance.now();
  found += (await services.overlaps.forChange(id(i))).length;
  xs.push(performance.now() - t);
}
const used = process.cpuUsage(cpu);
const s = summary(xs);
console.log(
  `${driver} load ${load}: p50 ${s.p50.toFixed(2)} p95 ${s.p95.toFixed(2)} min ` +
    `${Math.min(...xs).toFixed(2)} ms; overlaps found ${found}; process cpu ` +
    `${((used.user + used.system) / 1000 / calls).toFixed(2)} ms per call`,
);
await database.close();
