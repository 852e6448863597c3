/**
 * `pnpm bench`: specsync's performance targets, measured the same way every time, side by side with
 * the real OpenSpec CLI. Prints a table, writes bench/results/<date>.json, and with --check exits 1
 * when a target is missed.
 *
 *   pnpm bench [--sizes 1000,10000] [--driver all|pglite|postgres] [--check] [--quick] [--out FILE]
 *              [--only sync|engine|agents|first-sync|list|lifecycle|parsers|parse-pool|cli]
 *
 * A full run includes `list` (`specs.list` at 50 concurrent callers, 10 s per driver); --quick does
 * not.
 *
 * `--only engine`: the sync engine's rows alone (cold import, no-op reconcile, server RSS at the
 * largest size, the first `specsync sync` of the bundled bin — `pnpm build` first).
 *              [--cli "apps/server/dist/bin/specsync.js"] [--cli-changes 300]
 *
 * The CLI rows (`specsync list --json` vs `openspec list --json`, whole process) also run alone:
 * `node --import tsx bench/src/cli-speed.ts` (see there). They are left out of --quick.
 */
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createServices } from "@specsync/api";
import { createSpecsyncClient } from "@specsync/api/client";
import {
  type Generated,
  generateWorkspace,
  loadPool,
  type Pool,
  type PoolSource,
  poolSource,
} from "@specsync/api/testing";
import { createDb, type Database, runMigrations } from "@specsync/db";
import { createHttpServer } from "@specsync/server/http";
import { EventSource } from "eventsource";
import postgres from "postgres";
import { mcpStdioListChanges, nextWorkWithClaim, overlapOne, seedAgentState } from "./agents";
import { archivedFreshness } from "./archived-freshness";
import { assertCliBuilt, cliSpeedRows, DEFAULT_CLI } from "./cli-speed";
import { firstSyncRows } from "./first-sync";
import { branchSwitch } from "./git-switch";
import { lifecycleRows } from "./lifecycle";
import { listThroughput, listWorkspace } from "./list-throughput";
import {
  coldImport,
  noopReconcile,
  openspecCli,
  REPO,
  scheduledBatch,
  serverRss,
  timeMany,
  watcherLatency,
} from "./measure";
import { must } from "./must";
import { parsePoolRows } from "./parse-pool";
import { parserRows } from "./parsers";

type Row = {
  driver: string;
  metric: string;
  value: number;
  unit: string;
  target?: { op: "<=" | ">="; value: number };
  note?: string;
};

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,10000" },
    driver: { type: "string", default: "all" },
    check: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    out: { type: "string" },
    saves: { type: "string", default: "200" },
    /** Run one group of rows only (see GROUPS below). */
    only: { type: "string" },
    cli: { type: "string", default: process.env.SPECSYNC_BENCH_CLI ?? DEFAULT_CLI },
    "cli-changes": { type: "string", default: "300" },
  },
});

const ADMIN_URL =
  process.env.SPECSYNC_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const sizes = args.quick ? [30] : must(args.sizes, "--sizes").split(",").map(Number);
const saves = args.quick ? 6 : Number(args.saves);
const samples = args.quick ? 5 : 100;
const withTargets = !args.quick;
const rows: Row[] = [];
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

async function postgresReachable(): Promise<boolean> {
  const sql = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

type Driver = "pglite" | "postgres";
type BenchDb = { database: Database; env: Record<string, string>; drop: () => Promise<void> };

async function freshDb(driver: "pglite" | "postgres", scratch: string): Promise<BenchDb> {
  if (driver === "pglite") {
    const dataDir = mkdtempSync(path.join(scratch, "pglite-"));
    const database = await createDb({ dataDir });
    await runMigrations(database);
    return {
      database,
      env: { SPECSYNC_DATA_DIR: dataDir },
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `specsync_bench_${randomBytes(4).toString("hex")}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const database = await createDb({ url });
  await runMigrations(database);
  return {
    database,
    env: { DATABASE_URL: url },
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

type Imported = {
  services: ReturnType<typeof createServices>;
  project: Awaited<ReturnType<ReturnType<typeof createServices>["sync"]["ensureProject"]>>;
  db: BenchDb;
  /** Closes the database early (the RSS row starts a server of its own on it). */
  close: () => Promise<void>;
};

/** A fresh database with `ws` imported into it (the cold import row), handed to `work`, then dropped. */
async function imported(
  driver: Driver,
  ws: Generated,
  size: number,
  scratch: string,
  work: (i: Imported) => Promise<void>,
) {
  const db = await freshDb(driver, scratch);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await db.database.close();
  };
  try {
    const services = createServices(db.database);
    const project = await services.sync.ensureProject(ws.root);
    log(`${driver}: cold import of ${size} changes`);
    const imp = await coldImport(services, project);
    rows.push({
      driver,
      metric: `cold import, ${size} changes (${imp.folders} folders)`,
      value: imp.perSecond,
      unit: "changes/s",
      // Issue #17's targets are for 10,000 changes. At 1,000 a fixed ≈ 0.6 s (two parse workers
      // loaded through tsx, ≈ 0.3 s each here, a bundle in the product; a cold JIT) is a third of it.
      ...(withTargets && size >= 10000
        ? { target: { op: ">=", value: driver === "postgres" ? 1000 : 500 } }
        : {}),
    });
    rows.push({
      driver,
      metric: `cold import → search vectors filled, ${size} changes`,
      value: imp.searchableMs,
      unit: "ms",
    });
    await work({ services, project, db, close });
  } finally {
    await close();
    await db.drop();
  }
}

/**
 * The sync engine and the API at every size; at the largest, also the agent rows (same database).
 * `engineOnly`: the engine's rows alone (cold import, no-op reconcile, server RSS at the largest).
 */
async function benchDriver(
  driver: Driver,
  workspaces: Map<number, Generated>,
  scratch: string,
  engineOnly = false,
) {
  const largest = Math.max(...sizes);
  for (const size of sizes) {
    const ws = must(workspaces.get(size), `the workspace of ${size} changes`);
    await imported(driver, ws, size, scratch, async ({ services, project, db, close }) => {
      const noop = await noopReconcile(services, project, args.quick ? 2 : 5);
      rows.push({
        driver,
        metric: `no-op reconcile, ${size} changes (median of ${args.quick ? 2 : 5})`,
        value: noop.median,
        unit: "ms",
        ...(withTargets && size >= 10000 ? { target: { op: "<=", value: 500 } } : {}),
      });
      rows.push({
        driver,
        metric: `no-op reconcile, ${size} changes: the first after the import`,
        value: noop.first,
        unit: "ms",
      });
      if (engineOnly) {
        if (size !== largest) return;
        await close();
        return rssRow(driver, db.env, size, ws.root);
      }
      if (size === Math.min(...sizes)) {
        const batch = await scheduledBatch(services, project);
        rows.push({
          driver,
          metric: `scheduled batch, ${batch.rows} rows (${ws.archived.length} archived) in ${batch.batches} batches`,
          value: batch.ms,
          unit: "ms",
          ...(withTargets && batch.rows >= 1000 && batch.rows < 2000
            ? { target: { op: "<=", value: 2000 } }
            : {}),
        });
        const switched = await branchSwitch(db.database, scratch, 100);
        rows.push({
          driver,
          metric: "branch switch touching 100 archived folders → DB consistent",
          value: switched.ms,
          unit: "ms",
          ...(withTargets ? { target: { op: "<=", value: 2000 } } : {}),
        });
        await freshnessRows(driver, db.database, project, ws, size);
      }
      if (size !== largest) return;

      log(`${driver}: watcher latency over ${saves} saves`);
      const w = await watcherLatency(services, project, ws.active.slice(0, 50), saves);
      rows.push({
        driver,
        metric: `save → DB row committed p50 (${w.n} saves)`,
        value: w.p50,
        unit: "ms",
        ...(withTargets ? { target: { op: "<=", value: 25 } } : {}),
      });
      rows.push({
        driver,
        metric: "save → DB row committed p95",
        value: w.p95,
        unit: "ms",
        ...(withTargets ? { target: { op: "<=", value: 100 } } : {}),
      });
      rows.push({ driver, metric: "save → DB row committed p99", value: w.p99, unit: "ms" });

      log(`${driver}: HTTP queries`);
      const server = createHttpServer({ services, token: null, allowedOrigins: [] });
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const client = createSpecsyncClient({
        url,
        actor: "bench",
        EventSource: EventSource as unknown as typeof globalThis.EventSource,
      });
      try {
        const list = await timeMany(samples, () =>
          client.specs.list.query({
            kind: "change",
            archived: true,
            minCompletion: 10,
            sort: "priority",
            limit: 50,
          }),
        );
        rows.push({
          driver,
          metric: `specs.list over HTTP, filtered+sorted page of 50 (${size} changes) p50`,
          value: list.p50,
          unit: "ms",
          ...(withTargets ? { target: { op: "<=", value: 15 } } : {}),
        });
        rows.push({ driver, metric: "specs.list over HTTP p95", value: list.p95, unit: "ms" });
        const active = (
          await client.specs.list.query({
            kind: "change",
            archived: false,
            limit: 20,
            sort: "name",
          })
        ).items;
        // Only the update call is timed: it answers after the file is on disk.
        const flushOnly: number[] = [];
        const nonce = Math.random().toString(36).slice(2, 8);
        for (let i = 0; i < Math.min(samples, 50); i++) {
          const target = must(active[i % active.length], "an active change");
          const got = await client.specs.get.query({ id: target.id });
          const content = `${must(got.files["proposal.md"], "proposal.md").replace(/\n<!-- flush \S+ -->\n$/, "")}\n<!-- flush ${nonce}-${i} -->\n`;
          const t = performance.now();
          await client.specs.update.mutate({
            id: target.id,
            file: "proposal.md",
            content,
            baseHash: must(got.contentHashes["proposal.md"], "proposal.md's hash"),
          });
          flushOnly.push(performance.now() - t);
        }
        flushOnly.sort((a, b) => a - b);
        rows.push({
          driver,
          metric: "specs.update → bytes on disk p50",
          value: must(flushOnly[Math.floor(flushOnly.length / 2)], "a sample"),
          unit: "ms",
          ...(withTargets ? { target: { op: "<=", value: 15 } } : {}),
        });

        // `openspec show` refuses a change without a Why section, and the generated pool has a few
        // (drawn from real proposals): the first active change at 1,000 changes was one.
        const hasWhy = (name: string) =>
          /^##\s+Why\s*$/m.test(
            readFileSync(path.join(ws.root, "openspec/changes", name, "proposal.md"), "utf8"),
          );
        const showTarget = must(
          active.find((c) => hasWhy(c.name)),
          "an active change with a Why section",
        );
        const show = await timeMany(Math.min(samples, 30), () =>
          client.specs.get.query({ id: showTarget.id }),
        );
        const cliLocal = await timeMany(Math.min(samples, 30), () =>
          services.cliOutput.list(ws.root),
        );
        log(`${driver}: OpenSpec CLI on the same workspace`);
        const osList = await openspecCli(ws.root, ["list"], args.quick ? 2 : 5);
        const osShow = await openspecCli(
          ws.root,
          ["show", showTarget.name, "--type", "change"],
          args.quick ? 2 : 5,
        );
        rows.push({
          driver,
          metric: "`openspec list --json` (CLI, wall)",
          value: osList.p50,
          unit: "ms",
        });
        rows.push({
          driver,
          metric: "ratio: openspec list / specs.list page",
          value: osList.p50 / list.p50,
          unit: "×",
        });
        rows.push({
          driver,
          metric: "ratio: openspec list / specsync list --json (same JSON, from DB)",
          value: osList.p50 / cliLocal.p50,
          unit: "×",
        });
        rows.push({
          driver,
          metric: "`openspec show <id> --json` (CLI, wall)",
          value: osShow.p50,
          unit: "ms",
        });
        rows.push({
          driver,
          metric: "ratio: openspec show / specs.get over HTTP",
          value: osShow.p50 / show.p50,
          unit: "×",
        });
      } finally {
        server.closeAllConnections();
        server.close();
      }
      await agentRows(driver, services, project, size, db.env);
      await close();
      await rssRow(driver, db.env, size, ws.root);
    });
  }
}

/**
 * Archived edit → DB row under the real runtime with a short scheduler period (issue #17's
 * freshness of archived folders): the bound is the period plus one pass. On the smallest
 * workspace, with the scheduled batch row: a 5 s period must exceed a pass for the row to tell a
 * late row from a busy scheduler, and at 10,000 changes a pass took 14–15 s (every row is then
 * due at every pass, whatever the cutoff).
 */
async function freshnessRows(
  driver: Driver,
  database: Database,
  project: Imported["project"],
  ws: Generated,
  size: number,
) {
  // --quick: the shortest period cron has, two edits (the harness is checked, not the figure).
  const periodS = args.quick ? 1 : 5;
  const edits = args.quick ? 2 : 6;
  log(`${driver}: ${edits} archived edits, scheduler period ${periodS} s`);
  const f = await archivedFreshness(database, project, ws.archived, { periodS, edits });
  const what = `archived edit → DB row, scheduler period ${periodS} s (${size} changes, ${edits} edits)`;
  const note = `longest pass ${f.passMs} ms; ${f.byScheduler}/${edits} written by the periodic pass`;
  rows.push(
    {
      driver,
      metric: `${what}: max`,
      value: f.max,
      unit: "ms",
      note,
      // The period, one pass, and the second of timer jitter the scheduler's own cutoff allows.
      ...(withTargets ? { target: { op: "<=", value: periodS * 1000 + f.passMs + 1000 } } : {}),
    },
    { driver, metric: `${what}: median`, value: f.median, unit: "ms" },
  );
}

/** The real server's peak RSS (the bench's database handle closed first: PGlite admits one process). */
async function rssRow(
  driver: Driver,
  env: Parameters<typeof serverRss>[1],
  size: number,
  root: string,
) {
  log(`${driver}: server RSS with ${size} changes watched`);
  const rss = await serverRss(root, env);
  rows.push({
    driver,
    metric: `server peak RSS, ${size} changes watched (pnpm start's server: the built bin)`,
    value: rss.peakMb,
    unit: "MB",
    ...(withTargets ? { target: { op: "<=", value: 300 } } : {}),
  });
}

/**
 * The change lifecycle: validate one change through specsync vs the CLI directly; the archive
 * preview.
 */
async function benchLifecycle(driver: "pglite" | "postgres", scratch: string) {
  const db = await freshDb(driver, scratch);
  try {
    const services = createServices(db.database);
    log(`${driver}: lifecycle (validate, archive preview)`);
    const r = await lifecycleRows(services, scratch, samples, args.quick ? 2 : 15);
    rows.push({
      driver,
      metric: "changes.validate, one change p50 (the CLI's validator in process, stored + history)",
      value: r.validate.p50,
      unit: "ms",
      ...(withTargets ? { target: { op: "<=", value: 400 } } : {}),
    });
    rows.push({
      driver,
      metric: "`openspec validate <id> --strict --json` (CLI, wall)",
      value: r.direct.p50,
      unit: "ms",
    });
    rows.push({
      driver,
      metric: "ratio: changes.validate / openspec validate",
      value: r.validate.p50 / r.direct.p50,
      unit: "×",
    });
    rows.push({
      driver,
      metric: `archive preview, ${r.requirements} requirements p50`,
      value: r.preview.p50,
      unit: "ms",
      ...(withTargets ? { target: { op: "<=", value: 20 } } : {}),
    });
    await db.database.close();
  } finally {
    await db.drop();
  }
}

async function agentRows(
  driver: "pglite" | "postgres",
  services: ReturnType<typeof createServices>,
  project: { id: string; rootPath: string },
  size: number,
  env: Record<string, string>,
) {
  log(`${driver}: agents (claims, dependencies, overlaps, next_work)`);
  const seeded = await seedAgentState(services, project as never);
  const server = createHttpServer({ services, token: null, allowedOrigins: [] });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const client = createSpecsyncClient({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    actor: "bench",
    EventSource: EventSource as unknown as typeof globalThis.EventSource,
  });
  try {
    const note = `${seeded.active} active, ${seeded.dependencies} dependencies`;
    const next = await nextWorkWithClaim(client, project.id, samples);
    rows.push({
      driver,
      metric: `next_work with claim over HTTP, ${size} changes p50`,
      value: next.p50,
      unit: "ms",
      note,
      ...(withTargets && driver === "postgres" ? { target: { op: "<=", value: 10 } } : {}),
    });
    rows.push({ driver, metric: "next_work with claim p95", value: next.p95, unit: "ms" });
    // Logged as measured: a later step failing (the MCP row's request timeout under load) loses the
    // table, not these figures.
    log(
      `${driver}: next_work with claim p50 ${next.p50.toFixed(2)} / p95 ${next.p95.toFixed(2)} ms`,
    );
    const active = (
      await services.specs.list({
        projectId: project.id,
        kind: "change",
        archived: false,
        limit: 200,
      })
    ).items.map((i) => i.id);
    const ov = await overlapOne(services, active, samples);
    rows.push({
      driver,
      metric: `overlaps(change), ${size} changes p50`,
      value: ov.p50,
      unit: "ms",
      ...(withTargets ? { target: { op: "<=", value: 5 } } : {}),
    });
    rows.push({ driver, metric: "overlaps(change) p95", value: ov.p95, unit: "ms" });
    log(`${driver}: overlaps(change) p50 ${ov.p50.toFixed(2)} / p95 ${ov.p95.toFixed(2)} ms`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
  if (driver === "postgres") {
    // The stdio process opens the same database (PGlite is single-process, so PostgreSQL only).
    const mcp = await mcpStdioListChanges(project.rootPath, env, samples);
    rows.push({
      driver,
      metric: `MCP stdio list_changes round trip, ${size} changes p50`,
      value: mcp.p50,
      unit: "ms",
      ...(withTargets ? { target: { op: "<=", value: 20 } } : {}),
    });
    rows.push({
      driver,
      metric: "MCP stdio list_changes round trip p95",
      value: mcp.p95,
      unit: "ms",
    });
  }
}

function verdict(r: Row): "PASS" | "FAIL" | "" {
  if (!r.target) return "";
  const ok = r.target.op === "<=" ? r.value <= r.target.value : r.value >= r.target.value;
  return ok ? "PASS" : "FAIL";
}

type Context = {
  drivers: Driver[];
  scratch: string;
  pool: () => Pool;
  workspaces: () => Map<number, Generated>;
};
type Group = {
  name: string;
  run: (c: Context) => Promise<void>;
  onlyAlone?: true;
  notQuick?: true;
};
/** The first `specsync sync` of the bundled bin on the embedded database (whole process). */
async function firstSync() {
  log("first `specsync sync` of the bundled bin, embedded database");
  rows.push(...(await firstSyncRows(5)));
}
const noTargets = (r: Row): Row => (withTargets ? r : { ...r, target: undefined });

/** `specs.list` at 50 concurrent callers over HTTP (issue #17), on a 110-folder repository. */
async function benchList(driver: Driver, ws: { root: string; from: string }, scratch: string) {
  const db = await freshDb(driver, scratch);
  try {
    const services = createServices(db.database);
    const project = await services.sync.ensureProject(ws.root);
    await coldImport(services, project);
    log(`${driver}: specs.list, 50 concurrent callers, 10 s`);
    const t = await listThroughput(services, project.id, {
      seconds: args.quick ? 2 : 10,
      connections: 50,
    });
    const what = `specs.list page of 50 (${t.items} rows, ${(t.bytes / 1024).toFixed(1)} KB), 50 callers, ${ws.from}`;
    const pg = driver === "postgres" && withTargets;
    rows.push(
      {
        driver,
        metric: `${what}: throughput`,
        value: Math.round(t.rps),
        unit: "req/s",
        ...(pg ? { target: { op: ">=", value: 1000 } } : {}),
      },
      { driver, metric: `${what}: p50`, value: t.p50, unit: "ms" },
      {
        driver,
        metric: `${what}: p99`,
        value: t.p99,
        unit: "ms",
        ...(pg ? { target: { op: "<=", value: 100 } } : {}),
      },
    );
  } finally {
    await db.database.close();
    await db.drop();
  }
}

/**
 * The row groups, in the order a full run measures them; `--only <name>` runs one. `agents` runs
 * only when asked for: a full run measures its rows inside `sync` (the largest size's database).
 */
const GROUPS: Group[] = [
  {
    name: "sync",
    run: async (c) => {
      for (const d of c.drivers) await benchDriver(d, c.workspaces(), c.scratch);
    },
  },
  {
    name: "agents",
    onlyAlone: true,
    run: async (c) => {
      const size = Math.max(...sizes);
      const ws = c.workspaces().get(size);
      if (!ws) throw new Error(`no workspace of ${size} changes`);
      for (const d of c.drivers) {
        await imported(d, ws, size, c.scratch, (i) =>
          agentRows(d, i.services, i.project, size, i.db.env),
        );
      }
    },
  },
  {
    name: "engine",
    onlyAlone: true,
    run: async (c) => {
      for (const d of c.drivers) await benchDriver(d, c.workspaces(), c.scratch, true);
      if (!args.quick && c.drivers.includes("pglite")) await firstSync();
    },
  },
  {
    name: "first-sync",
    notQuick: true,
    run: async (c) => {
      if (c.drivers.includes("pglite")) await firstSync();
    },
  },
  {
    name: "list",
    // In every full run (issue #17's throughput targets); --quick leaves its 2 × 10 s load out.
    notQuick: true,
    run: async (c) => {
      const ws = listWorkspace(c.scratch, c.pool);
      for (const d of c.drivers) await benchList(d, ws, c.scratch);
    },
  },
  {
    name: "lifecycle",
    run: async (c) => {
      for (const d of c.drivers) await benchLifecycle(d, c.scratch);
    },
  },
  {
    name: "parsers",
    run: async () => void rows.push(...parserRows(args.quick ? 1 : 5).map(noTargets)),
  },
  {
    name: "parse-pool",
    run: async () => void rows.push(...(await parsePoolRows()).map(noTargets)),
  },
  {
    name: "cli",
    notQuick: true,
    run: async (c) => {
      if (!c.drivers.length) return;
      const root = mkdtempSync(path.join(c.scratch, "ws-cli-"));
      generateWorkspace(root, { changes: Number(args["cli-changes"]), seed: 42 }, c.pool());
      const cli = args.cli ?? DEFAULT_CLI;
      rows.push(
        ...(await cliSpeedRows({
          root,
          drivers: c.drivers,
          runs: 5,
          cli,
          adminUrl: ADMIN_URL,
          log,
        })),
      );
    },
  },
];

async function main() {
  const groups = args.only
    ? GROUPS.filter((g) => g.name === args.only)
    : GROUPS.filter((g) => !g.onlyAlone && !(args.quick && g.notQuick));
  if (!groups.length) {
    throw new Error(`--only: no group "${args.only}" (${GROUPS.map((g) => g.name).join(", ")})`);
  }
  // The CLI rows come last: find a missing build before the long rows, not after them.
  if (groups.some((g) => g.name === "cli") && !args.quick) assertCliBuilt(args.cli ?? DEFAULT_CLI);
  const scratch = mkdtempSync(path.join(tmpdir(), "specsync-bench-"));
  const drivers: Driver[] = [];
  if (args.driver === "all" || args.driver === "pglite") drivers.push("pglite");
  if (args.driver === "all" || args.driver === "postgres") {
    if (await postgresReachable()) drivers.push("postgres");
    else log(`PostgreSQL not reachable at ${ADMIN_URL}: PostgreSQL rows skipped`);
  }
  // Generated on first use: the lifecycle and parser groups need no workspace.
  let pool: Pool | undefined;
  let workspaces: Map<number, Generated> | undefined;
  const context: Context = {
    drivers,
    scratch,
    pool: () => {
      if (pool) return pool;
      used.pool = poolSource();
      log(`workspace pool: ${used.pool.label}`);
      pool = loadPool();
      return pool;
    },
    workspaces: () => {
      if (workspaces) return workspaces;
      workspaces = new Map();
      for (const size of sizes) {
        const root = mkdtempSync(path.join(scratch, `ws-${size}-`));
        const t = performance.now();
        const ws = generateWorkspace(root, { changes: size, seed: 42 }, context.pool());
        workspaces.set(size, ws);
        used.workspaces.push({ changes: size, files: ws.files, bytes: ws.bytes });
        log(`generated ${size} changes in ${(performance.now() - t).toFixed(0)} ms`);
      }
      return workspaces;
    },
  };
  try {
    for (const g of groups) await g.run(context);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return printRows();
}

/** What the generated workspaces were built from: rows compare only between equal pools. */
const used: {
  pool?: PoolSource;
  workspaces: { changes: number; files: number; bytes: number }[];
} = { workspaces: [] };

async function printRows() {
  const width = Math.max(...rows.map((r) => r.metric.length), 10);
  const lines = [
    `${"driver".padEnd(9)} ${"metric".padEnd(width)} ${"value".padStart(10)} unit       target    result`,
  ];
  for (const r of rows) {
    const target = r.target ? `${r.target.op} ${r.target.value}` : "";
    lines.push(
      `${r.driver.padEnd(9)} ${r.metric.padEnd(width)} ${r.value.toFixed(r.value < 10 ? 2 : 1).padStart(10)} ${r.unit.padEnd(10)} ${target.padEnd(9)} ${verdict(r)}${r.note ? `  (${r.note})` : ""}`,
    );
  }
  if (used.pool) lines.push(`workspace pool: ${used.pool.label}`);
  for (const w of used.workspaces) {
    lines.push(
      `workspace ${w.changes} changes: ${w.files} files, ${(w.bytes / 1e6).toFixed(1)} MB`,
    );
  }
  console.log(lines.join("\n"));
  const out =
    args.out ??
    path.join(
      REPO,
      "bench/results",
      `${new Date().toISOString().slice(0, 10)}${args.quick ? "-quick" : ""}${args.only ? `-${args.only}` : ""}.json`,
    );
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ at: new Date().toISOString(), node: process.version, cpus: (await import("node:os")).cpus().length, sizes, pool: used.pool ?? null, workspaces: used.workspaces, rows: rows.map((r) => ({ ...r, result: verdict(r) || undefined })) }, null, 2)}\n`,
  );
  log(`results written to ${path.relative(process.cwd(), out)}`);
  const failed = rows.filter((r) => verdict(r) === "FAIL");
  if (args.check && failed.length) {
    console.error(`${failed.length} target(s) missed`);
    process.exit(1);
  }
}

await main();
