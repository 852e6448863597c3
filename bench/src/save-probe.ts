/**
 * Probe: save → DB row committed through the real FileWatcherService, timed exactly as `pnpm
 * bench` times it (`watcherLatency`), with CPU time. `node --optimize-for-size --import tsx
 * bench/src/save-probe.ts <pglite|postgres> <dir> [saves] [changes]`. Same data layout as
 * update-probe.ts (`<dir>/ws`, `<dir>/pglite`): the first run generates and imports, later runs
 * reuse both. `--profile <file>`: a CPU profile of the timed saves only.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { createServices } from "@specsync/api";
import { generateWorkspace, loadPool } from "@specsync/api/testing";
import { createDb, runMigrations } from "@specsync/db";
import { watcherLatency } from "./measure";
import { probeDatabase } from "./probe-db";
import { profileCalls } from "./profile-calls";

const argv = process.argv.slice(2);
const profileAt = argv.indexOf("--profile");
const profileFile = profileAt >= 0 ? argv[profileAt + 1] : undefined;
const [driver = "postgres", dir = "/tmp/save-probe", savesArg = "200", changesArg = "10000"] =
  profileAt >= 0 ? argv.filter((_, i) => i !== profileAt && i !== profileAt + 1) : argv;
const ws = path.join(dir, "ws");
if (!existsSync(ws)) {
  mkdirSync(ws, { recursive: true });
  generateWorkspace(ws, { changes: Number(changesArg), seed: 42 }, loadPool());
}
const database =
  driver === "pglite"
    ? await createDb({ dataDir: path.join(dir, "pglite") })
    : await createDb({
        url: (await probeDatabase(`${path.basename(dir).replace(/\W/g, "_")}_db`)).url,
      });
await runMigrations(database);
const services = createServices(database);
const project = await services.sync.ensureProject(ws);
const first = await services.sync.syncProject(project, "startup");
console.log(`sync: ${first.total} folders, ${first.changed} changed`);
const active = await services.specs.list({
  kind: "change",
  archived: false,
  limit: 50,
  sort: "name",
});
const stopProfile = await profileCalls(profileFile);
const cpu = process.cpuUsage();
const w = await watcherLatency(
  services,
  project,
  active.items.map((r) => r.name),
  Number(savesArg),
);
const used = process.cpuUsage(cpu);
await stopProfile();
console.log(
  `${driver} save → DB: n=${w.n} p50 ${w.p50.toFixed(2)} p95 ${w.p95.toFixed(2)} ` +
    `p99 ${w.p99.toFixed(2)} ms | process cpu user ${(used.user / 1000).toFixed(0)} ` +
    `sys ${(used.system / 1000).toFixed(0)} ms`,
);
await database.close();
