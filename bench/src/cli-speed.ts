/**
 * Whole-process speed of `specsync list --json` against `openspec list --json` on the same workspace:
 * wall time (median of N runs) and peak RSS (GNU time's %M: the largest process of the tree), with a
 * specsync server running for the project (the CLI asks it over HTTP) and without one (the CLI reads the
 * database). Target (issue #12): at least 2× faster than openspec, at most 100 MiB.
 *
 * The command measured is configurable, because what users run changes once the bin is bundled:
 *   node --import tsx bench/src/cli-speed.ts [--changes 300] [--runs 5] [--driver all|pglite|postgres]
 *        [--cli "pnpm -s specsync"] [--check]
 * --cli (or SPECSYNC_BENCH_CLI) is split on spaces and run from the repository root, followed by
 * `list --json --project <workspace>`. Default: `pnpm -s specsync`, the documented command today (`-s`: without it pnpm prints its own banner on stdout).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { envSchema } from "../../apps/server/src/env";
import { startServer } from "../../apps/server/src/serve";
import { generateWorkspace } from "./generate-workspace";
import { REPO } from "./measure";

export type CliSpeedRow = { driver: string; metric: string; value: number; unit: string; target?: { op: "<=" | ">="; value: number }; note?: string };

const TIME = "/usr/bin/time";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Run a command `runs` times (after one untimed warm-up): median wall ms and median peak RSS MiB. */
async function measure(cmd: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; runs: number; expect?: (stdout: string) => void }) {
  const walls: number[] = [];
  const rss: number[] = [];
  const scratch = mkdtempSync(path.join(tmpdir(), "cli-speed-"));
  try {
    for (let i = 0; i <= opts.runs; i++) {
      const out = path.join(scratch, `t${i}`);
      const argv = existsSync(TIME) ? [TIME, "-f", "%M", "-o", out, ...cmd] : cmd;
      const t = performance.now();
      const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
        let so = "";
        let se = "";
        child.stdout.on("data", (c: Buffer) => (so += c));
        child.stderr.on("data", (c: Buffer) => (se += c));
        child.on("error", reject);
        child.on("close", (c) => resolve({ code: c ?? 1, stdout: so, stderr: se }));
      });
      const wall = performance.now() - t;
      if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${stderr.slice(0, 500)}`);
      opts.expect?.(stdout);
      if (i === 0) continue; // warm-up: file cache, tsx cache
      walls.push(wall);
      if (existsSync(out)) rss.push(Number(readFileSync(out, "utf8").trim().split("\n").pop()) / 1024);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { ms: median(walls), rssMb: rss.length ? median(rss) : NaN };
}

/** A fresh database for one driver: a PGlite data directory, or a new PostgreSQL database. */
async function freshDatabase(driver: "pglite" | "postgres", adminUrl: string, scratch: string) {
  if (driver === "pglite") {
    const dir = mkdtempSync(path.join(scratch, "pglite-"));
    return { env: { SPECSYNC_DATA_DIR: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `specsync_clispeed_${randomBytes(4).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  return {
    env: { DATABASE_URL: adminUrl.replace(/\/[^/]*$/, `/${name}`) },
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export async function cliSpeedRows(opts: { root: string; drivers: ("pglite" | "postgres")[]; runs: number; cli: string; adminUrl: string; log?: (m: string) => void }): Promise<CliSpeedRow[]> {
  const rows: CliSpeedRow[] = [];
  const log = opts.log ?? (() => {});
  const cli = opts.cli.split(/\s+/).filter(Boolean);
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SPECSYNC_") && k !== "DATABASE_URL"));
  const openspec = await measure([path.join(REPO, "node_modules/.bin/openspec"), "list", "--json"], { cwd: opts.root, env: { ...clean, OPENSPEC_TELEMETRY: "0", CI: "1" }, runs: opts.runs });
  const expected = JSON.parse(await new Promise<string>((resolve) => {
    const c = spawn(path.join(REPO, "node_modules/.bin/openspec"), ["list", "--json"], { cwd: opts.root, env: { ...clean, OPENSPEC_TELEMETRY: "0", CI: "1" } });
    let s = "";
    c.stdout.on("data", (d: Buffer) => (s += d));
    c.on("close", () => resolve(s));
  })) as { changes: unknown[] };
  // Each run must print the whole list: a fast wrong answer is no answer.
  const check = (stdout: string) => {
    const n = (JSON.parse(stdout) as { changes: unknown[] }).changes.length;
    if (n !== expected.changes.length) throw new Error(`specsync listed ${n} changes, openspec ${expected.changes.length}`);
  };
  const scratch = mkdtempSync(path.join(tmpdir(), "cli-speed-db-"));
  try {
    for (const driver of opts.drivers) {
      rows.push({ driver, metric: "`openspec list --json` (whole process, median)", value: openspec.ms, unit: "ms" });
      rows.push({ driver, metric: "`openspec list --json` peak RSS", value: openspec.rssMb, unit: "MiB" });
      const db = await freshDatabase(driver, opts.adminUrl, scratch);
      try {
        const env = { ...clean, ...db.env, SPECSYNC_LOG: "silent" };
        const run = [...cli, "list", "--json", "--project", opts.root];
        const label = `\`${opts.cli} list --json\``;
        // The first run finds the project unknown and syncs it; measure() discards it as its warm-up.
        log(`${driver}: ${label}, no server running`);
        const direct = await measure(run, { cwd: REPO, env, runs: opts.runs, expect: check });
        log(`${driver}: ${label}, server running`);
        const server = await startServer(envSchema.parse({ ...db.env, PORT: "0", SPECSYNC_LOG: "silent", SPECSYNC_CRON: "0 0 1 1 *" }), [opts.root]);
        let viaServer: Awaited<ReturnType<typeof measure>>;
        try {
          viaServer = await measure(run, { cwd: REPO, env, runs: opts.runs, expect: check });
        } finally {
          await server.stop();
        }
        for (const [what, m, note] of [
          ["server running (asked over HTTP)", viaServer, undefined],
          ["no server (reads the database)", direct, driver === "pglite" ? "opening the embedded PGlite costs seconds and ~350 MiB by itself" : undefined],
        ] as const) {
          rows.push({ driver, metric: `${label}, ${what} (median of ${opts.runs})`, value: m.ms, unit: "ms" });
          rows.push({ driver, metric: `ratio openspec / specsync, ${what}`, value: openspec.ms / m.ms, unit: "×", target: { op: ">=", value: 2 }, ...(note ? { note } : {}) });
          rows.push({ driver, metric: `specsync peak RSS, ${what}`, value: m.rssMb, unit: "MiB", target: { op: "<=", value: 100 } });
        }
      } finally {
        await db.drop();
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}

const invokedDirectly = process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (invokedDirectly) {
  const { values } = parseArgs({
    options: {
      changes: { type: "string", default: "300" },
      runs: { type: "string", default: "5" },
      driver: { type: "string", default: "all" },
      cli: { type: "string", default: process.env.SPECSYNC_BENCH_CLI ?? "pnpm -s specsync" },
      check: { type: "boolean", default: false },
    },
  });
  const adminUrl = process.env.SPECSYNC_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const drivers = (values.driver === "all" ? ["pglite", "postgres"] : [values.driver]) as ("pglite" | "postgres")[];
  const root = mkdtempSync(path.join(tmpdir(), "cli-speed-ws-"));
  try {
    generateWorkspace(root, { changes: Number(values.changes), seed: 42 });
    const rows = await cliSpeedRows({ root, drivers, runs: Number(values.runs), cli: values.cli!, adminUrl, log: (m) => process.stderr.write(`[cli-speed] ${m}\n`) });
    let failed = 0;
    for (const r of rows) {
      const verdict = r.target ? ((r.target.op === ">=" ? r.value >= r.target.value : r.value <= r.target.value) ? "PASS" : (failed++, "FAIL")) : "";
      console.log(`${r.driver.padEnd(9)} ${r.metric.padEnd(80)} ${r.value.toFixed(2).padStart(9)} ${r.unit.padEnd(4)} ${r.target ? `${r.target.op} ${r.target.value}` : ""} ${verdict}${r.note ? `  (${r.note})` : ""}`);
    }
    if (values.check && failed) process.exitCode = 1;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
