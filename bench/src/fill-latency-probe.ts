/**
 * Probe: how long requests wait while the search vectors of a large import are filled in the
 * background (PGlite: the fill and the requests share the one database thread).
 * `node --optimize-for-size --import tsx bench/src/fill-latency-probe.ts <pglite|postgres> <dir>
 * [changes] [db]`: imports a generated workspace (seed 42) into a fresh database, then, until
 * the fill is done, calls in turn `specs.list` (a page), `specs.list` with a search, `specs.get`
 * and a save (`specs.update` of proposal.md); prints each one's count, median and worst, then the
 * same for as many rounds after the fill.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { createServices } from "@specsync/api";
import { generateWorkspace, loadPool } from "@specsync/api/testing";
import { createDb, runMigrations } from "@specsync/db";
import { must } from "./must";
import { probeDatabase } from "./probe-db";

const [driver = "pglite", dir = "/tmp/fill-latency", changesArg = "2000", dbName] =
  process.argv.slice(2);
const ws = path.join(dir, `ws-${changesArg}`);
if (!existsSync(ws)) {
  mkdirSync(ws, { recursive: true });
  generateWorkspace(ws, { changes: Number(changesArg), seed: 42 }, loadPool());
}
let database: Awaited<ReturnType<typeof createDb>>;
if (driver === "pglite") {
  const dataDir = path.join(dir, "pglite");
  rmSync(dataDir, { recursive: true, force: true });
  database = await createDb({ dataDir });
} else {
  database = await createDb({
    url: (await probeDatabase(dbName ?? "fill_latency_db", { fresh: true })).url,
  });
}
await runMigrations(database);
const services = createServices(database);
const project = await services.sync.ensureProject(ws);
const t0 = performance.now();
await services.sync.syncProject(project, "startup");
const imported = performance.now() - t0;
const waiting = await database.query<{ n: number }>(
  "select count(*)::int as n from openspec_specs where search is null",
);
console.log(`import returned; ${waiting[0]?.n} rows without their vector`);
let done = false;
const filling = services.sync.searchFilled().then(() => {
  done = true;
});
const times: Record<string, number[]> = { list: [], search: [], get: [], save: [] };
const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
  const t = performance.now();
  const out = await f();
  times[what]?.push(performance.now() - t);
  return out;
};
const page = { kind: "change" as const, archived: false, limit: 50, sort: "name" as const };
let pendingSeen = 0;
/** One round of the four requests, as a person's client would make them. */
const round = async (i: number) => {
  const rows = await timed("list", () => services.specs.list(page));
  const found = await timed("search", () => services.specs.list({ ...page, search: "cache" }));
  pendingSeen = Math.max(pendingSeen, found.searchPending);
  const target = must(rows.items[i % rows.items.length], "a change");
  const got = await timed("get", () => services.specs.get(target.id));
  const proposal = must(got.files["proposal.md"], "proposal.md");
  await timed("save", () =>
    services.specs.update({
      id: target.id,
      file: "proposal.md",
      content: `${proposal.replace(/\n<!-- probe \d+ -->\n$/, "")}\n<!-- probe ${i} -->\n`,
      baseHash: must(got.contentHashes["proposal.md"], "proposal.md's hash"),
      actor: "probe",
    }),
  );
};
let rounds = 0;
while (!done) await round(rounds++);
await filling;
const filled = performance.now() - t0;
const stat = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)] ?? 0;
  return `n=${s.length} median ${med.toFixed(0)} ms, worst ${(s.at(-1) ?? 0).toFixed(0)} ms`;
};
console.log(
  `${driver} ${changesArg} changes: import ${imported.toFixed(0)} ms, vectors filled after ` +
    `${filled.toFixed(0)} ms; search reported up to ${pendingSeen} pending`,
);
for (const [what, xs] of Object.entries(times))
  console.log(`  during the fill: ${what} ${stat(xs)}`);
// The same requests with no fill running, as many rounds: what the fill adds.
for (const xs of Object.values(times)) xs.length = 0;
for (let i = 0; i < rounds; i++) await round(rounds + i);
for (const [what, xs] of Object.entries(times))
  console.log(`  after the fill: ${what} ${stat(xs)}`);
await database.close();
