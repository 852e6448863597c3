/**
 * Probe: `specs.update` → bytes on disk over HTTP, timed exactly as `pnpm bench` times it, with CPU
 * time. `node --optimize-for-size --import tsx bench/src/update-probe.ts <pglite|postgres> <dir>
 * [samples] [changes]`. The first run for a dir generates the workspace and imports it; later runs
 * reuse both, so before/after builds can be interleaved on the same data. `--profile <file>`: a CPU
 * profile of the timed saves only (`profile-calls.ts`). `--http`: every save over HTTP (none in process), for
 * the CPU an HTTP save takes.
 */
import { once } from "node:events";
import { existsSync, mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createServices } from "@specsync/api";
import { createSpecsyncClient } from "@specsync/api/client";
import { generateWorkspace, loadPool } from "@specsync/api/testing";
import { createDb, runMigrations } from "@specsync/db";
import { createHttpServer } from "@specsync/server/http";
import { EventSource } from "eventsource";
import { must } from "./must";
import { probeDatabase } from "./probe-db";
import { profileCalls } from "./profile-calls";

const httpOnly = process.argv.includes("--http");
const argv = process.argv.slice(2).filter((a) => a !== "--http");
const profileAt = argv.indexOf("--profile");
const profileFile = profileAt >= 0 ? argv[profileAt + 1] : undefined;
const [driver = "postgres", dir = "/tmp/update-probe", samplesArg = "200", changesArg = "10000"] =
  profileAt >= 0 ? argv.filter((_, i) => i !== profileAt && i !== profileAt + 1) : argv;
const ws = path.join(dir, "ws");
if (!existsSync(ws)) {
  mkdirSync(ws, { recursive: true });
  generateWorkspace(ws, { changes: Number(changesArg), seed: 42 }, loadPool());
}
let database: Awaited<ReturnType<typeof createDb>>;
if (driver === "pglite") {
  database = await createDb({ dataDir: path.join(dir, "pglite") });
} else {
  const name = `${path.basename(dir).replace(/\W/g, "_")}_db`;
  database = await createDb({ url: (await probeDatabase(name)).url });
}
await runMigrations(database);
const services = createServices(database);
const project = await services.sync.ensureProject(ws);
const first = await services.sync.syncProject(project, "startup");
console.log(`sync: ${first.total} folders, ${first.changed} changed`);

const server = createHttpServer({ services, token: null, allowedOrigins: [] });
server.listen(0, "127.0.0.1");
await once(server, "listening");
const client = createSpecsyncClient({
  url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  actor: "bench",
  EventSource: EventSource as unknown as typeof globalThis.EventSource,
});
const active = (
  await client.specs.list.query({ kind: "change", archived: false, limit: 20, sort: "name" })
).items;
// Alternately over HTTP (what the bench row times) and in process (the service call alone).
const times = { http: [] as number[], direct: [] as number[] };
const nonce = Math.random().toString(36).slice(2, 8);
const stopProfile = await profileCalls(profileFile);
const cpu = process.cpuUsage();
for (let i = 0; i < Number(samplesArg); i++) {
  const target = must(active[i % active.length], "an active change");
  const got = await client.specs.get.query({ id: target.id });
  const proposal = must(got.files["proposal.md"], "proposal.md");
  const content = `${proposal.replace(/\n<!-- flush \S+ -->\n$/, "")}\n<!-- flush ${nonce}-${i} -->\n`;
  const input = {
    id: target.id,
    file: "proposal.md",
    content,
    baseHash: must(got.contentHashes["proposal.md"], "proposal.md's hash"),
  };
  const t = performance.now();
  const overHttp = httpOnly || i % 2 === 0;
  if (overHttp) await client.specs.update.mutate(input);
  else await services.specs.update({ ...input, actor: "bench" });
  (overHttp ? times.http : times.direct).push(performance.now() - t);
}
const used = process.cpuUsage(cpu);
await stopProfile();
const stats = (xs: number[]) => {
  xs.sort((a, b) => a - b);
  const at = (q: number) => must(xs[Math.floor(xs.length * q)], "a sample").toFixed(2);
  return `n=${xs.length} min ${at(0)} p50 ${at(0.5)} p95 ${at(0.95)}`;
};
console.log(
  `${driver} update: http ${stats(times.http)} ms | ` +
    (times.direct.length ? `in-process ${stats(times.direct)} ms | ` : "") +
    `process cpu user ${(used.user / 1000).toFixed(0)} sys ${(used.system / 1000).toFixed(0)} ms`,
);
server.close();
await database.close();
