/**
 * The first `specsync sync` of a small repository on the default embedded database, whole process:
 * the bundled bin (`node apps/server/dist/bin/specsync.js`, what the installed package runs;
 * `pnpm build` first) in a fresh copy of a 14-folder workspace with no data directory yet, so
 * PGlite's data directory is created, migrated and filled. Wall time, CPU time and peak RSS (GNU
 * time), min and median of N runs. Target (issue #17): ≤ 1.5 s and ≤ 200 MiB. Runnable alone:
 *
 *   node --import tsx bench/src/first-sync.ts [--runs 5] [--check]
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateWorkspace, loadPool } from "@specsync/api/testing";
import { REPO } from "./measure";

type Row = {
  driver: string;
  metric: string;
  value: number;
  unit: string;
  target?: { op: "<=" | ">="; value: number };
};

export const BIN = path.join(REPO, "apps/server/dist/bin/specsync.js");
const TIME = "/usr/bin/time";

type Run = { ms: number; mib: number; cpuMs: number };

function spawnCollect(argv: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(argv[0] ?? TIME, argv.slice(1), {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let so = "";
    let se = "";
    child.stdout.on("data", (d: Buffer) => (so += d));
    child.stderr.on("data", (d: Buffer) => (se += d));
    child.on("error", reject);
    child.on("close", (c) => resolve({ code: c ?? 1, stdout: so, stderr: se }));
  });
}

async function oneRun(template: string, scratch: string, i: number): Promise<Run> {
  const root = path.join(scratch, `repo-${i}`);
  cpSync(template, root, { recursive: true });
  const out = path.join(scratch, `time-${i}`);
  const argv = [TIME, "-f", "%U %S %M", "-o", out, process.execPath, BIN, "sync", "--json"];
  const env: NodeJS.ProcessEnv = { ...process.env, SPECSYNC_LOG: "silent" };
  delete env.DATABASE_URL;
  delete env.SPECSYNC_DATA_DIR;
  const t = performance.now();
  const { code, stdout, stderr } = await spawnCollect(argv, root, env);
  const ms = performance.now() - t;
  if (code !== 0) throw new Error(`specsync sync exited ${code}: ${stderr.slice(0, 500)}`);
  const result = JSON.parse(stdout) as { projects: { total: number; failed: number }[] };
  const total = result.projects.reduce((n, p) => n + p.total, 0);
  if (total !== 14 || result.projects.some((p) => p.failed)) {
    throw new Error(`specsync sync: ${stdout.slice(0, 600)}`);
  }
  rmSync(root, { recursive: true, force: true });
  const last = readFileSync(out, "utf8").trim().split("\n").pop() ?? "";
  const [user, sys, kib] = last.split(" ").map(Number);
  return { ms, mib: (kib ?? NaN) / 1024, cpuMs: ((user ?? NaN) + (sys ?? NaN)) * 1000 };
}

export async function firstSyncRows(runs = 5): Promise<Row[]> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`pnpm build\` first`);
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed for the peak RSS`);
  const scratch = mkdtempSync(path.join(tmpdir(), "first-sync-"));
  try {
    const template = path.join(scratch, "template");
    // 9 changes (1 active) and the 5 main specs the generator adds for them: 14 folders.
    generateWorkspace(template, { changes: 9, seed: 42 }, loadPool());
    const all: Run[] = [];
    for (let i = 0; i < runs; i++) all.push(await oneRun(template, scratch, i));
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const ms = all.map((r) => r.ms);
    const mib = all.map((r) => r.mib);
    const what = "first `specsync sync`, 14 folders, embedded DB (bundled bin, whole process)";
    const first = "first `specsync sync`";
    return [
      {
        driver: "pglite",
        metric: `${what} median of ${runs}`,
        value: med(ms),
        unit: "ms",
        target: { op: "<=", value: 1500 },
      },
      { driver: "pglite", metric: `${what} min`, value: Math.min(...ms), unit: "ms" },
      // CPU time moves less than wall time with the machine's load: what the run costs on an idle core.
      {
        driver: "pglite",
        metric: `${first} CPU time (user + sys), min`,
        value: Math.min(...all.map((r) => r.cpuMs)),
        unit: "ms",
      },
      {
        driver: "pglite",
        metric: `${first} peak RSS, median`,
        value: med(mib),
        unit: "MiB",
        target: { op: "<=", value: 200 },
      },
      { driver: "pglite", metric: `${first} peak RSS, min`, value: Math.min(...mib), unit: "MiB" },
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "5" }, check: { type: "boolean", default: false } },
  });
  const rows = await firstSyncRows(Number(values.runs));
  let failed = false;
  for (const r of rows) {
    const ok =
      !r.target || (r.target.op === "<=" ? r.value <= r.target.value : r.value >= r.target.value);
    failed ||= !ok;
    const target = r.target ? `  ${r.target.op} ${r.target.value}  ${ok ? "PASS" : "FAIL"}` : "";
    console.log(`${r.metric.padEnd(90)} ${r.value.toFixed(1).padStart(8)} ${r.unit}${target}`);
  }
  if (values.check && failed) process.exit(1);
}
