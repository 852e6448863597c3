/**
 * Probe: cold import of a generated workspace into a fresh database, timed with CPU time.
 * `node --optimize-for-size --import tsx bench/src/import-probe.ts <pglite|postgres> <dir>
 * [changes] [db] [import]`
 * The first run for a dir generates the workspace (seed 42); later runs reuse it. Each run
 * imports into a fresh database (`db`, default import_probe_db, dropped and created again; or a
 * new PGlite data directory) and prints wall time, Node's CPU and, on PostgreSQL, the backends'.
 * `import` as the fifth argument: exit once the import returns, without waiting for the
 * background search-vector fill (A/B runs of the import alone on a busy machine).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { createServices } from "@specsync/api";
import { generateWorkspace, loadPool } from "@specsync/api/testing";
import { createDb, runMigrations } from "@specsync/db";
import postgres from "postgres";
import { probeDatabase } from "./probe-db";

const [driver = "postgres", dir = "/tmp/import-probe", changesArg = "10000", dbName, until] =
  process.argv.slice(2);
const name = dbName ?? "import_probe_db";
if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
const ws = path.join(dir, `ws-${changesArg}`);
if (!existsSync(ws)) {
  mkdirSync(ws, { recursive: true });
  generateWorkspace(ws, { changes: Number(changesArg), seed: 42 }, loadPool());
}
const ADMIN = "postgres://postgres@127.0.0.1:5432/postgres";
let database: Awaited<ReturnType<typeof createDb>>;
if (driver === "pglite") {
  const dataDir = path.join(dir, "pglite");
  rmSync(dataDir, { recursive: true, force: true });
  database = await createDb({ dataDir });
} else {
  database = await createDb({ url: (await probeDatabase(name, { fresh: true })).url });
}
await runMigrations(database);
const services = createServices(database);
const project = await services.sync.ensureProject(ws);

/** CPU ms (user + sys) of a process from /proc, 10 ms ticks. */
const cpuOf = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
};
/** PostgreSQL backends of the probe's database (they stay open for the pool's life). */
const backends = async (): Promise<Map<number, number>> => {
  if (driver !== "postgres") return new Map();
  const admin = postgres(ADMIN, { max: 1, onnotice: () => {} });
  const rows = await admin<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = ${name}`;
  await admin.end();
  return new Map(rows.map((r) => [r.pid, cpuOf(r.pid)]));
};
const before = await backends();
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const c = process.cpuUsage();
const t = performance.now();
const s = await services.sync.syncProject(project, "startup");
const ms = performance.now() - t;
const cpu = process.cpuUsage(c);
const pgCpuSince = async () => {
  let sum = 0;
  for (const pid of (await backends()).keys()) sum += cpuOf(pid) - (before.get(pid) ?? 0);
  return sum;
};
const pgCpu = await pgCpuSince();
const load1 = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(
  `import ${driver}: ${s.total} folders, ${s.changed} changed, ${s.failed} failed in ` +
    `${ms.toFixed(0)} ms = ${((Number(changesArg) / ms) * 1000).toFixed(1)} changes/s; ` +
    `node cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms` +
    (driver === "postgres" ? `, pg backends cpu ${pgCpu} ms ` : "") +
    `; load ${load} -> ${load1}`,
);
if (until === "import") process.exit(0);
// The search vectors a large import leaves to a background fill (when the build has one).
const sync = services.sync as { searchFilled?: () => Promise<void> };
const filled = sync.searchFilled ? await sync.searchFilled().then(() => performance.now() - t) : ms;
const cpuFilled = process.cpuUsage(c);
const pgCpuFilled = await pgCpuSince();
console.log(
  `  searchable after ${filled.toFixed(0)} ms; node cpu ` +
    `${((cpuFilled.user + cpuFilled.system) / 1000).toFixed(0)} ms` +
    (driver === "postgres" ? `, pg backends cpu ${pgCpuFilled} ms` : ""),
);
await database.close();
