/**
 * Probe: no-op reconcile of a generated workspace, timed several times with CPU time.
 * `node --optimize-for-size --import tsx bench/src/noop-probe.ts <pglite|postgres> <dir> [runs]
 * [db]`
 * The first run for a dir generates the workspace and imports it; later runs reuse both. `db`:
 * the PostgreSQL database's name (default noop_probe_db). The parse pool is warmed first, as the
 * server does at start.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createServices, sharedParsePool } from "@specsync/api";
import { generateWorkspace, loadPool } from "@specsync/api/testing";
import { createDb, runMigrations } from "@specsync/db";
import { probeDatabase } from "./probe-db";

const [driver = "postgres", dir = "/tmp/noop-bench", runsArg = "5", dbName = "noop_probe_db"] =
  process.argv.slice(2);
const ws = path.join(dir, "ws");
const fresh = !existsSync(ws);
if (fresh) {
  mkdirSync(ws, { recursive: true });
  generateWorkspace(ws, { changes: 10000, seed: 42 }, loadPool());
}
let database: Awaited<ReturnType<typeof createDb>>;
if (driver === "pglite") {
  database = await createDb({ dataDir: path.join(dir, "pglite") });
} else {
  database = await createDb({ url: (await probeDatabase(dbName)).url });
}
await runMigrations(database);
const services = createServices(database);
const project = await services.sync.ensureProject(ws);
await sharedParsePool().warm();
/** CPU ms of the main thread alone (Linux, worker threads excluded), 10 ms ticks; else null. */
const mainThreadCpu = (): number | null => {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
};
const first = await services.sync.syncProject(project, "startup");
console.log(`first: ${first.total} folders, ${first.changed} changed`);
for (let i = 0; i < Number(runsArg); i++) {
  const c = process.cpuUsage();
  const faults = process.resourceUsage().minorPageFault;
  const m = mainThreadCpu();
  const t = performance.now();
  const s = await services.sync.syncProject(project, "periodic");
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(c);
  // Each a fresh page (~15 µs on the session 26 VM, docs/performance.md): allocation's real cost.
  const faulted = process.resourceUsage().minorPageFault - faults;
  const m2 = mainThreadCpu();
  const main = m === null || m2 === null ? "" : `, main thread ${m2 - m} ms`;
  console.log(
    `noop ${i}: ${ms.toFixed(0)} ms wall, cpu user ${(cpu.user / 1000).toFixed(0)} ` +
      `sys ${(cpu.system / 1000).toFixed(0)} ms${main}, ${faulted} page faults, ` +
      `${s.total} folders ${s.changed} changed`,
  );
}
await database.close();
