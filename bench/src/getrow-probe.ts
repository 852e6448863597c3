/**
 * Probe: readers of an archived change's row that do not hand `parsed` out (sync status of one
 * change, the file-edit merge preview), timed with CPU time (docs/performance.md, session 23).
 * `node --import tsx bench/src/getrow-probe.ts <dir> [changes] [rounds]`
 * Imports a generated workspace (seed 42) into a fresh PGlite, then calls both readers on every
 * archived change `rounds` times and prints Node's CPU and wall per call of each.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createServices } from "@specsync/api";
import { generateWorkspace, loadPool } from "@specsync/api/testing";
import { createDb, runMigrations } from "@specsync/db";

const [dir = "/tmp/getrow-probe", changesArg = "300", roundsArg = "5"] = process.argv.slice(2);
const ws = path.join(dir, `ws-${changesArg}`);
if (!existsSync(ws)) {
  mkdirSync(ws, { recursive: true });
  generateWorkspace(ws, { changes: Number(changesArg), seed: 42 }, loadPool());
}
const dataDir = path.join(dir, `pglite-${process.pid}`);
rmSync(dataDir, { recursive: true, force: true });
const database = await createDb({ dataDir });
await runMigrations(database);
const services = createServices(database);
const project = await services.sync.ensureProject(ws);
await services.sync.syncProject(project, "startup");
await services.sync.searchFilled();
const rows = await database.query<{ id: string; file: string; hash: string }>(
  `select id, 'proposal.md' as file, content_hashes->>'proposal.md' as hash from openspec_specs
   where archived and kind = 'change' and content_hashes ? 'proposal.md' order by path`,
);

async function timed(label: string, call: (r: (typeof rows)[number]) => Promise<unknown>) {
  for (const r of rows.slice(0, 20)) await call(r); // warm-up
  const c = process.cpuUsage();
  const t = performance.now();
  let n = 0;
  for (let i = 0; i < Number(roundsArg); i++)
    for (const r of rows) {
      await call(r);
      n++;
    }
  const cpu = process.cpuUsage(c);
  const wall = performance.now() - t;
  console.log(
    `${label}: ${n} calls, cpu ${(((cpu.user + cpu.system) / n) * 1).toFixed(0)} µs/call, ` +
      `wall ${((wall / n) * 1000).toFixed(0)} µs/call`,
  );
}

const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(`${rows.length} archived changes; load ${load}`);
await timed("sync.specStatus", (r) => services.status.ofSpec(r.id));
await timed("specs.previewMerge", (r) =>
  services.edits.preview({
    id: r.id,
    file: r.file,
    content: "## Why\n\nEdited.\n",
    baseHash: r.hash,
  }),
);
await database.close();
rmSync(dataDir, { recursive: true, force: true });
