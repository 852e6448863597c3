/**
 * Hand-run probe for the `specs.list` throughput row (docs/performance.md, "specs.list
 * throughput"): one database and import, then several 10 s autocannon rounds against the same
 * server, each with load average and the process's CPU time; `--profile <file>` writes a CPU
 * profile of the main thread for the load window only (no import, no teardown).
 *
 *   node --optimize-for-size --import tsx src/list-probe.ts postgres 3 [--profile out.cpuprofile]
 *   [--workers]   autocannon in a worker thread (the callers off the server's event loop)
 */
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import type { AddressInfo } from "node:net";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createServices, type Services } from "@specsync/api";
import { createDb, runMigrations } from "@specsync/db";
import { createHttpServer } from "@specsync/server/http";
import autocannon from "autocannon";
import postgres from "postgres";
import { listUrl, listWorkspace } from "./list-throughput";

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    profile: { type: "string" },
    /** A sampling heap profile (allocations) of the last round instead. */
    heap: { type: "string" },
    workers: { type: "boolean", default: false },
    seconds: { type: "string", default: "10" },
  },
});
const driver = positionals[0] === "pglite" ? "pglite" : "postgres";
const rounds = Number(positionals[1] ?? 3);
const ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const scratch = mkdtempSync(path.join(tmpdir(), "list-probe-"));
const dbName = `${process.env.SPECSYNC_BENCH_DB_PREFIX ?? "listprobe"}_${randomBytes(4).toString("hex")}`;
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
let database: Awaited<ReturnType<typeof createDb>>;
if (driver === "pglite") {
  database = await createDb({ dataDir: path.join(scratch, "pgdata") });
} else {
  await admin.unsafe(`create database ${dbName}`);
  database = await createDb({ url: ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`) });
}
try {
  await runMigrations(database);
  const services: Services = createServices(database);
  const ws = listWorkspace(scratch, () => {
    throw new Error("the probe needs the corpus (SPECSYNC_BENCH_CORPUS)");
  });
  const project = await services.sync.ensureProject(ws.root);
  await services.sync.syncProject(project, "startup");
  const server = createHttpServer({ services, token: null, allowedOrigins: [] });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = listUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, project.id);
  const session = new Session();
  for (let r = 0; r < rounds; r++) {
    const load = loadavg()[0] ?? 0;
    const cpu = process.cpuUsage();
    const last = r === rounds - 1;
    if (opts.heap && last) {
      session.connect();
      await session.post("HeapProfiler.startSampling", {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    if (opts.profile && last) {
      session.connect();
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
    }
    const result = await autocannon({
      url,
      connections: 50,
      duration: Number(opts.seconds),
      timeout: 60,
      ...(opts.workers ? { workers: 1 } : {}),
    });
    if (opts.heap && last) {
      const { profile } = await session.post("HeapProfiler.stopSampling");
      writeFileSync(opts.heap, JSON.stringify(profile));
      session.disconnect();
    }
    if (opts.profile && last) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(opts.profile, JSON.stringify(profile));
      session.disconnect();
    }
    const used = process.cpuUsage(cpu);
    const errors = result.non2xx + result.errors;
    console.log(
      `${driver} round ${r + 1}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, load ${load.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)}, CPU ${((used.user + used.system) / 1e6).toFixed(1)} s${errors ? `, ${errors} errors` : ""}`,
    );
  }
  server.closeAllConnections();
  server.close();
} finally {
  await database.close();
  if (driver === "postgres") await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
  rmSync(scratch, { recursive: true, force: true });
}
