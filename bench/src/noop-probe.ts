/**
 * Probe: no-op reconcile of a generated workspace, timed several times with CPU time.
 * `node --optimize-for-size --import tsx bench/src/noop-probe.ts <pglite|postgres> <dir> [runs]`
 * The first run for a dir generates the workspace and imports it; later runs reuse both.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { createServices } from "@specsync/api";
import { generateWorkspace, loadPool } from "@specsync/api/testing";
import { createDb, runMigrations } from "@specsync/db";
import postgres from "postgres";

const [driver = "postgres", dir = "/tmp/noop-bench", runsArg = "5"] = process.argv.slice(2);
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
  const admin = postgres("postgres://postgres@127.0.0.1:5432/postgres", {
    max: 1,
    onnotice: () => {},
  });
  const [exists] = await admin`select 1 from pg_database where datname = 'noop_probe_db'`;
  if (!exists) await admin.unsafe("create database noop_probe_db");
  await admin.end();
  database = await createDb({ url: "postgres://postgres@127.0.0.1:5432/noop_probe_db" });
}
await runMigrations(database);
const services = createServices(database);
const project = await services.sync.ensureProject(ws);
const first = await services.sync.syncProject(project, "startup");
console.log(`first: ${first.total} folders, ${first.changed} changed`);
for (let i = 0; i < Number(runsArg); i++) {
  const c = process.cpuUsage();
  const t = performance.now();
  const s = await services.sync.syncProject(project, "periodic");
  const ms = performance.now() - t;
  const cpu = process.cpuUsage(c);
  console.log(
    `noop ${i}: ${ms.toFixed(0)} ms wall, cpu user ${(cpu.user / 1000).toFixed(0)} sys ${(cpu.system / 1000).toFixed(0)} ms, ${s.total} folders ${s.changed} changed`,
  );
}
await database.close();
