/**
 * Probe: `agents.nextWork({ claim: true })` over HTTP, timed as `pnpm bench` times it, on a reused
 * PostgreSQL database, so builds can be interleaved on the same data.
 *
 *   node --optimize-for-size --import tsx bench/src/next-work-probe.ts <dir> [calls] [--trace]
 *
 * The first run for a dir generates the bench's workspace (10,000 changes, seed 42), imports it
 * into the database `<basename(dir)>_db` and seeds the agent state as the bench does. Every run
 * first returns the queue to that state (the probe's own claims deleted, the seed claims made
 * live again).
 * With `--trace`, each call's timeline is printed: socket writes and reads on the HTTP and the
 * PostgreSQL connections (a round trip = a write to PostgreSQL followed by waiting for its reply)
 * and the service call's start and end. With `--profile <file>`, a CPU profile of the timed calls
 * only (`profile-calls.ts`). The summary line also gives the CPU the database's PostgreSQL backends
 * spent during the calls (from `/proc`, so only with a local server): the database's share of a
 * call, which the process CPU does not include.
 */
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import net, { type AddressInfo } from "node:net";
import { loadavg } from "node:os";
import path from "node:path";
import { createServices } from "@specsync/api";
import { createSpecsyncClient } from "@specsync/api/client";
import { generateWorkspace, loadPool } from "@specsync/api/testing";
import { createDb, runMigrations } from "@specsync/db";
import { createHttpServer } from "@specsync/server/http";
import { sql } from "drizzle-orm";
import { EventSource } from "eventsource";
import { seedAgentState } from "./agents";
import { must } from "./must";
import { probeDatabase } from "./probe-db";
import { profileCalls } from "./profile-calls";

const args = process.argv.slice(2);
const trace = args.includes("--trace");
const profileAt = args.indexOf("--profile");
const profileFile = profileAt >= 0 ? args[profileAt + 1] : undefined;
const [dir = "/tmp/nw-probe", callsArg = "100"] = args.filter(
  (a, i) => !a.startsWith("--") && (profileAt < 0 || i !== profileAt + 1),
);
const ws = path.join(dir, "ws");
const name = `${path.basename(dir).replace(/\W/g, "_")}_db`;
const { url, created } = await probeDatabase(name);
const database = await createDb({ url });
await runMigrations(database);
const services = createServices(database);
if (!existsSync(ws)) {
  mkdirSync(ws, { recursive: true });
  generateWorkspace(ws, { changes: 10_000, seed: 42 }, loadPool());
}
const project = await services.sync.ensureProject(ws);
if (created) {
  const first = await services.sync.syncProject(project, "startup");
  console.log(`import: ${first.total} folders`);
  const seeded = await seedAgentState(services, project);
  console.log(`seeded: ${seeded.active} active, ${seeded.dependencies} dependencies`);
}
// The queue as the bench meets it: no probe claims, the 20 seed claims live.
await database.db.execute(sql`delete from change_claims where owner like 'bench-agent-%'`);
await database.db.execute(sql`delete from claim_history where owner like 'bench-agent-%'`);
await database.db.execute(
  sql`update change_claims set expires_at = now() + interval '1 hour'
    where owner like 'seed-agent-%'`,
);

const server = createHttpServer({ services, token: null, allowedOrigins: [] });
server.listen(0, "127.0.0.1");
await once(server, "listening");
const port = (server.address() as AddressInfo).port;
const client = createSpecsyncClient({
  url: `http://127.0.0.1:${port}`,
  actor: "bench",
  EventSource: EventSource as unknown as typeof globalThis.EventSource,
});

// The timeline: socket traffic by role, and the service call's bounds.
type Mark = { t: number; what: string };
let marks: Mark[] | null = null;
const mark = (what: string) => marks?.push({ t: performance.now(), what });
if (trace) {
  const role = (s: net.Socket) =>
    s.remotePort === 5432
      ? "pg"
      : s.remotePort === port
        ? "http-client"
        : s.localPort === port
          ? "http-server"
          : null;
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
    const r = role(this);
    if (r && marks) {
      const what = r === "pg" && Buffer.isBuffer(chunk) ? ` ${frontend(chunk)}` : "";
      mark(`${r} write ${(chunk as { length?: number }).length ?? "?"}B${what}`);
    }
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof write;
  const emit = net.Socket.prototype.emit;
  net.Socket.prototype.emit = function (this: net.Socket, event: string, ...rest: unknown[]) {
    if (event === "data" && marks) {
      const r = role(this);
      if (r) mark(`${r} read ${(rest[0] as Buffer).length}B`);
    }
    return (emit as (...a: unknown[]) => boolean).call(this, event, ...rest);
  } as typeof emit;
  const next = services.workQueue.next.bind(services.workQueue);
  services.workQueue.next = async (input) => {
    mark("service enter");
    try {
      return await next(input);
    } finally {
      mark("service exit");
    }
  };
}

/** The frontend messages in a write: Q and P with the start of their SQL, the others by letter. */
function frontend(buf: Buffer): string {
  const out: string[] = [];
  for (let o = 0; o + 5 <= buf.length; ) {
    const type = String.fromCharCode(buf[o] ?? 63);
    const len = buf.readInt32BE(o + 1);
    const body = buf.subarray(o + 5, o + 1 + len);
    if (type === "Q") out.push(`Q[${body.toString("utf8", 0, 60).replace(/\s+/g, " ")}]`);
    else if (type === "P") {
      const nameEnd = body.indexOf(0);
      out.push(`P[${body.toString("utf8", nameEnd + 1, nameEnd + 70).replace(/\s+/g, " ")}]`);
    } else out.push(type);
    o += 1 + len;
  }
  return out.join(" ");
}

/**
 * CPU (user + sys, ms) of this database's PostgreSQL backends so far, from `/proc` (the server is
 * local): the database's share of a call, which wall time under load does not separate. Backends
 * that end meanwhile are lost, so the pool's connections are read before and after the loop.
 */
async function backendCpu(): Promise<Map<number, number>> {
  const rows = await database.query<{ pid: number }>(
    "select pid from pg_stat_activity where datname = current_database()",
  );
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      out.set(pid, ((Number(f[11]) + Number(f[12])) * 1000) / 100);
    } catch {
      // Not on this machine, or gone.
    }
  }
  return out;
}

const times: number[] = [];
const timelines: Mark[][] = [];
const load = loadavg()[0]?.toFixed(2);
const stopProfile = await profileCalls(profileFile);
const pgBefore = await backendCpu();
const cpu = process.cpuUsage();
for (let i = 0; i < Number(callsArg); i++) {
  marks = trace ? [] : null;
  const t = performance.now();
  mark("call");
  const r = await client.agents.nextWork.mutate({
    projectId: project.id,
    owner: `bench-agent-${i}`,
    claim: true,
    leaseSeconds: 600,
  });
  mark("resolved");
  times.push(performance.now() - t);
  if (!r.claim) throw new Error(`call ${i} claimed nothing: ${r.reason}`);
  if (marks) timelines.push(marks.map((m) => ({ t: m.t - t, what: m.what })));
}
const used = process.cpuUsage(cpu);
await stopProfile();
let pgCpu = 0;
for (const [pid, ms] of await backendCpu()) pgCpu += ms - (pgBefore.get(pid) ?? 0);
const sorted = [...times].sort((a, b) => a - b);
const at = (q: number) => must(sorted[Math.floor(sorted.length * q)], "a sample").toFixed(2);
console.log(
  `next_work claim over HTTP: n=${times.length} min ${at(0)} p50 ${at(0.5)} p95 ${at(0.95)} ms | ` +
    `load ${load} → ${loadavg()[0]?.toFixed(2)} | ` +
    `process cpu user ${(used.user / 1000).toFixed(0)} sys ${(used.system / 1000).toFixed(0)} ms | ` +
    `PostgreSQL backends cpu ${pgCpu.toFixed(0)} ms`,
);
if (trace) {
  // The call nearest the median, and the counts over all calls after the first ten (warm).
  const median = Number(at(0.5));
  const k = times.findIndex((x) => x.toFixed(2) === median.toFixed(2));
  for (const m of must(timelines[k], "the median call's timeline"))
    console.log(`${m.t.toFixed(2).padStart(8)} ms  ${m.what}`);
  const pgWrites = timelines.slice(10).map((tl) => {
    let trips = 0;
    let waiting = false;
    for (const m of tl) {
      if (m.what.startsWith("pg write") && !waiting) {
        trips++;
        waiting = true;
      } else if (m.what.startsWith("pg read")) waiting = false;
    }
    return trips;
  });
  console.log(`PostgreSQL round trips per call (calls 11–${times.length}): ${pgWrites.join(" ")}`);
}
server.closeAllConnections();
server.close();
await database.close();
