import { execFile, execFileSync, spawn } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { FileWatcherService, type Services, SyncScheduler } from "@specsync/api";
import { freePort } from "@specsync/api/testing";
import type { ProjectRow } from "@specsync/db";
import { settingsSchema } from "@specsync/settings";
import { must } from "./must";

const run = promisify(execFile);
export const REPO = path.resolve(fileURLToPath(import.meta.url), "../../..");

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return must(
    s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))],
    "a sample",
  );
}

export const summary = (xs: number[]) => ({
  n: xs.length,
  p50: percentile(xs, 50),
  p95: percentile(xs, 95),
  p99: percentile(xs, 99),
});

/** Cold import: every folder is new. */
export async function coldImport(services: Services, project: ProjectRow) {
  const t = performance.now();
  const s = await services.sync.syncProject(project, "startup");
  const ms = performance.now() - t;
  if (s.failed) throw new Error(`${s.failed} folders failed to import`);
  // A large import on PostgreSQL leaves the search vectors to a background fill: the rows after
  // it must not run beside that fill, and the time until search is complete is a figure too.
  await services.sync.searchFilled();
  const searchableMs = performance.now() - t;
  return { folders: s.total, ms, perSecond: (s.total / ms) * 1000, searchableMs };
}

/**
 * Full reconciles where nothing changed (what the scheduler does every period), `runs` in a row.
 * The first one after an import is the noisiest (the import's garbage, PostgreSQL's hint bits and
 * autovacuum on the fresh tables: 418–882 ms across runs where the later ones were 250–360 ms), so
 * the row is the median, and the first is reported beside it.
 */
export async function noopReconcile(services: Services, project: ProjectRow, runs = 5) {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const s = await services.sync.syncProject(project, "periodic");
    ms.push(performance.now() - t);
    if (s.changed) throw new Error(`a no-op reconcile changed ${s.changed} folders`);
  }
  return { first: must(ms[0], "a no-op"), median: percentile(ms, 50), max: Math.max(...ms) };
}

/** One scheduler pass over rows that are all due (staleSeconds 0): archived changes mostly. */
export async function scheduledBatch(services: Services, project: ProjectRow) {
  const scheduler = new SyncScheduler(project, services.sync, services.database, {
    staleSeconds: 0,
    batchSize: 50,
    concurrency: 10,
  });
  const r = await scheduler.runOnce();
  return { rows: r.summary.total, batches: r.batches, ms: r.ms };
}

/**
 * Save → DB row committed, through the real FileWatcherService: alternately in-place writes and
 * atomic renames (temp + rename), round-robin over active changes, one at a time.
 */
export async function watcherLatency(
  services: Services,
  project: ProjectRow,
  activeNames: string[],
  saves: number,
) {
  const waiting = new Map<string, (t: number) => void>();
  const watcher = new FileWatcherService(project, services.sync, {
    // What `specsync serve` runs with unless SPECSYNC_DEBOUNCE_MS says otherwise.
    debounceMs: settingsSchema.parse({}).SPECSYNC_DEBOUNCE_MS,
    onSynced: (o) => {
      if (o.action !== "noop") waiting.get(o.path)?.(performance.now());
    },
  });
  await watcher.start();
  const latencies: number[] = [];
  const root = path.join(project.rootPath, "openspec", "changes");
  const nonce = Math.random().toString(36).slice(2, 8); // every save must change the bytes, across runs too
  try {
    for (let i = 0; i < saves; i++) {
      const name = must(activeNames[i % activeNames.length], "an active change");
      const file = path.join(root, name, "tasks.md");
      const folder = `changes/${name}`;
      const content = `${readFileSync(file, "utf8").replace(/\n?<!-- bench \S+ -->\n?$/, "")}\n<!-- bench ${nonce}-${i} -->\n`;
      const done = new Promise<number>((resolve, reject) => {
        waiting.set(folder, resolve);
        setTimeout(
          () => reject(new Error(`save ${i} to ${folder} never reached the database`)),
          5000,
        );
      });
      const t = performance.now();
      if (i % 2 === 0) writeFileSync(file, content);
      else {
        writeFileSync(`${file}.tmp`, content);
        renameSync(`${file}.tmp`, file);
      }
      latencies.push((await done) - t);
      waiting.delete(folder);
    }
  } finally {
    await watcher.stop();
  }
  return summary(latencies);
}

/** Time `fn` `n` times (after `warmup` untimed runs). */
export async function timeMany(n: number, fn: (i: number) => Promise<unknown>, warmup = 5) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    xs.push(performance.now() - t);
  }
  return summary(xs);
}

/** Wall time of the real OpenSpec CLI in the workspace (median of `n` runs). */
export async function openspecCli(root: string, args: string[], n = 5) {
  const bin = path.join(REPO, "packages/api/node_modules/.bin/openspec");
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run(bin, [...args, "--json"], {
      cwd: root,
      env: { ...process.env, OPENSPEC_TELEMETRY: "0", CI: "1" },
      maxBuffer: 256 * 1024 * 1024,
    });
    xs.push(performance.now() - t);
  }
  return summary(xs);
}

/**
 * How the server is started: `start` = as `pnpm start` runs it (its build step, then node with its
 * flags on the built bin — the process users run; `serve` is that process without the web app's
 * child); `sources` = as the root `specsync` script runs the CLI from the sources through tsx (a
 * developer's path, ≈ 40 MB more: tsx's transformed modules).
 */
export type ServerVia = "start" | "sources";

let built = false;

/** The node command line of `via` for `serve`; with `start`, the build step has run (once). */
function serverCommand(via: ServerVia): string[] {
  const scripts = (
    JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as {
      scripts: { specsync: string; start: string };
    }
  ).scripts;
  if (via === "sources") return [...scripts.specsync.split(/\s+/), "serve"];
  const [build = "", run = ""] = scripts.start.split("&&").map((part) => part.trim());
  const words = run.split(/\s+/);
  if (words.at(-1) !== "start")
    throw new Error(`the start script must end with the bin's start command, not: ${run}`);
  if (!built) {
    execFileSync("pnpm", ["exec", ...build.split(/\s+/)], { cwd: REPO, stdio: "ignore" });
    built = true;
  }
  return [...words.slice(0, -1), "serve"];
}

/**
 * Peak RSS of a real server process (see ServerVia), watching the workspace, after startup and
 * some queries.
 */
export async function serverRss(
  root: string,
  env: Record<string, string>,
  via: ServerVia = "start",
) {
  const port = await freePort();
  const command = serverCommand(via);
  if (command[0] !== "node")
    throw new Error(`the ${via} script must run node directly, not ${command[0]}`);
  const child = spawn(
    process.execPath,
    [...command.slice(1), "--project", root, "--port", String(port)],
    {
      cwd: REPO,
      env: { ...process.env, ...env, SPECSYNC_LOG: "silent", SPECSYNC_CRON: "0 0 1 1 *" },
      stdio: "ignore",
    },
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 300_000;
    for (;;) {
      const ok = await fetch(`${url}/healthz`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error("server did not become healthy");
      await new Promise((r) => setTimeout(r, 250));
    }
    for (let i = 0; i < 20; i++)
      await fetch(
        `${url}/trpc/specs.list?input=${encodeURIComponent(JSON.stringify({ json: { limit: 50, sort: "priority" } }))}`,
      );
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    const kb = (key: string) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? NaN);
    return { peakMb: kb("VmHWM") / 1024, rssMb: kb("VmRSS") / 1024 };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}
