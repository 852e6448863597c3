/**
 * Whole-process speed of `specsync list --json` against `openspec list --json` on the same workspace:
 * wall time (median of N runs) and peak RSS (GNU time's %M: the largest process of the tree), with a
 * specsync server running for the project (the CLI asks it over HTTP) and without one (the CLI reads the
 * files; no database is opened), on each database. Target (issue #12): at least 2× faster than openspec,
 * at most 100 MiB.
 *
 *   node --import tsx bench/src/cli-speed.ts [--changes 300] [--runs 5] [--driver all|pglite|postgres]
 *        [--cli "apps/server/dist/bin/specsync.js"] [--check]
 * --cli (or SPECSYNC_BENCH_CLI) is split on spaces and run from the repository root, followed by
 * `list --json --project <workspace>`. Default: the installed package's bin as `pnpm build` lays it
 * out, executed as a user's `specsync` is (the installed command is a link to that file);
 * `pnpm -s specsync` (tsx through pnpm) is a contributor's shortcut and measures pnpm and tsx
 * start-up, not specsync.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateWorkspace } from "@specsync/api/testing";
import { startServer } from "@specsync/server/serve";
import { settingsSchema } from "@specsync/settings";
import postgres from "postgres";
import { REPO } from "./measure";
import { must } from "./must";

/** What `specsync` is once installed: the bundled bin (`pnpm build` makes it), run through its shebang. */
export const DEFAULT_CLI = "apps/server/dist/bin/specsync.js";

/** The bin must exist: measuring a stale or missing build would measure nothing. */
export function assertCliBuilt(cli: string) {
  const file = cli.split(/\s+/).find((a) => /\.(m?js|ts)$/.test(a));
  if (file && !existsSync(path.resolve(REPO, file))) {
    throw new Error(`${file} does not exist: run \`pnpm build\` first (or pass --cli)`);
  }
}

export type CliSpeedRow = {
  driver: string;
  metric: string;
  value: number;
  unit: string;
  target?: { op: "<=" | ">="; value: number };
  note?: string;
};

const TIME = "/usr/bin/time";
const median = (xs: number[]) =>
  must([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)], "a sample");

type Cmd = {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  expect?: (stdout: string) => void;
};

/** One run: wall ms and peak RSS MiB (GNU time's %M, when /usr/bin/time is there). */
async function once(c: Cmd, scratch: string, i: number) {
  const out = path.join(scratch, `t${i}`);
  const argv = existsSync(TIME) ? [TIME, "-f", "%M", "-o", out, ...c.argv] : c.argv;
  const t = performance.now();
  const { code, stdout, stderr } = await new Promise<{
    code: number;
    stdout: string;
    stderr: string;
  }>((resolve, reject) => {
    const [cmd = "", ...args] = argv;
    const child = spawn(cmd, args, { cwd: c.cwd, env: c.env, stdio: ["ignore", "pipe", "pipe"] });
    let so = "";
    let se = "";
    child.stdout.on("data", (d: Buffer) => (so += d));
    child.stderr.on("data", (d: Buffer) => (se += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout: so, stderr: se }));
  });
  const wall = performance.now() - t;
  if (code !== 0) throw new Error(`${c.argv.join(" ")} exited ${code}: ${stderr.slice(0, 500)}`);
  c.expect?.(stdout);
  return {
    wall,
    rss: existsSync(out) ? Number(readFileSync(out, "utf8").trim().split("\n").pop()) / 1024 : NaN,
  };
}

/**
 * Run the commands in turn, `runs` rounds (after one untimed warm-up round), so that both sides of
 * a ratio see the same machine load (it moves a lot on a shared machine): median wall ms and median
 * peak RSS MiB.
 */
type Measured = { ms: number; rssMb: number };

async function measureInterleaved(cmds: [Cmd, Cmd], runs: number): Promise<[Measured, Measured]> {
  const walls = cmds.map(() => [] as number[]);
  const rss = cmds.map(() => [] as number[]);
  const scratch = mkdtempSync(path.join(tmpdir(), "cli-speed-"));
  try {
    for (let round = 0; round <= runs; round++) {
      for (const [k, c] of cmds.entries()) {
        const r = await once(c, scratch, round * cmds.length + k);
        if (round === 0) continue; // warm-up: file cache, tsx cache, a first sync
        walls[k]?.push(r.wall);
        if (Number.isFinite(r.rss)) rss[k]?.push(r.rss);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const result = (k: number): Measured => {
    const mem = rss[k] ?? [];
    return { ms: median(walls[k] ?? []), rssMb: mem.length ? median(mem) : Number.NaN };
  };
  return [result(0), result(1)];
}

/** A fresh database for one driver: a PGlite data directory, or a new PostgreSQL database. */
async function freshDatabase(driver: "pglite" | "postgres", adminUrl: string, scratch: string) {
  if (driver === "pglite") {
    const dir = mkdtempSync(path.join(scratch, "pglite-"));
    return {
      env: { SPECSYNC_DATA_DIR: dir },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
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

export async function cliSpeedRows(opts: {
  root: string;
  drivers: ("pglite" | "postgres")[];
  runs: number;
  cli: string;
  adminUrl: string;
  log?: (m: string) => void;
}): Promise<CliSpeedRow[]> {
  const rows: CliSpeedRow[] = [];
  const log = opts.log ?? (() => {});
  assertCliBuilt(opts.cli);
  const cli = opts.cli
    .split(/\s+/)
    .filter(Boolean)
    .map((a) => (/\.(m?js|ts)$/.test(a) ? path.resolve(REPO, a) : a));
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("SPECSYNC_") && k !== "DATABASE_URL"),
  );
  const openspecCmd: Cmd = {
    argv: [path.join(REPO, "node_modules/.bin/openspec"), "list", "--json"],
    cwd: opts.root,
    env: { ...clean, OPENSPEC_TELEMETRY: "0", CI: "1" },
  };
  const expected = JSON.parse(
    await new Promise<string>((resolve) => {
      const [cmd = "", ...args] = openspecCmd.argv;
      const c = spawn(cmd, args, { cwd: opts.root, env: openspecCmd.env });
      let s = "";
      c.stdout.on("data", (d: Buffer) => (s += d));
      c.on("close", () => resolve(s));
    }),
  ) as { changes: unknown[] };
  // Each run must print the whole list: a fast wrong answer is no answer.
  const check = (stdout: string) => {
    const n = (JSON.parse(stdout) as { changes: unknown[] }).changes.length;
    if (n !== expected.changes.length)
      throw new Error(`specsync listed ${n} changes, openspec ${expected.changes.length}`);
  };
  const scratch = mkdtempSync(path.join(tmpdir(), "cli-speed-db-"));
  try {
    for (const driver of opts.drivers) {
      const db = await freshDatabase(driver, opts.adminUrl, scratch);
      try {
        const env = { ...clean, ...db.env, SPECSYNC_LOG: "silent" };
        const specsyncCmd: Cmd = {
          argv: [...cli, "list", "--json", "--project", opts.root],
          cwd: REPO,
          env,
          expect: check,
        };
        const label = `\`${opts.cli} list --json\``;
        log(`${driver}: ${label}, no server running`);
        const [osDirect, direct] = await measureInterleaved([openspecCmd, specsyncCmd], opts.runs);
        log(`${driver}: ${label}, server running`);
        const server = await startServer(
          settingsSchema.parse({
            ...db.env,
            PORT: "0",
            SPECSYNC_LOG: "silent",
            SPECSYNC_CRON: "0 0 1 1 *",
          }),
          [opts.root],
        );
        let osServer: Measured;
        let viaServer: Measured;
        try {
          [osServer, viaServer] = await measureInterleaved([openspecCmd, specsyncCmd], opts.runs);
        } finally {
          await server.stop();
        }
        for (const [what, os, m] of [
          ["server running (asked over HTTP)", osServer, viaServer],
          ["no server (reads the files, database not opened)", osDirect, direct],
        ] as const) {
          rows.push({
            driver,
            metric: `\`openspec list --json\`, alternating with the next row (median of ${opts.runs})`,
            value: os.ms,
            unit: "ms",
          });
          rows.push({
            driver,
            metric: `${label}, ${what} (median of ${opts.runs})`,
            value: m.ms,
            unit: "ms",
          });
          rows.push({
            driver,
            metric: `ratio openspec / specsync, ${what}`,
            value: os.ms / m.ms,
            unit: "×",
            target: { op: ">=", value: 2 },
          });
          rows.push({
            driver,
            metric: `peak RSS: openspec / specsync, ${what}`,
            value: os.rssMb,
            unit: "MiB",
          });
          rows.push({
            driver,
            metric: `specsync peak RSS, ${what}`,
            value: m.rssMb,
            unit: "MiB",
            target: { op: "<=", value: 100 },
          });
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

const invokedDirectly =
  process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
if (invokedDirectly) {
  const { values } = parseArgs({
    options: {
      changes: { type: "string", default: "300" },
      runs: { type: "string", default: "5" },
      driver: { type: "string", default: "all" },
      cli: { type: "string", default: process.env.SPECSYNC_BENCH_CLI ?? DEFAULT_CLI },
      check: { type: "boolean", default: false },
    },
  });
  const adminUrl =
    process.env.SPECSYNC_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const drivers = (values.driver === "all" ? ["pglite", "postgres"] : [values.driver]) as (
    | "pglite"
    | "postgres"
  )[];
  const root = mkdtempSync(path.join(tmpdir(), "cli-speed-ws-"));
  try {
    generateWorkspace(root, { changes: Number(values.changes), seed: 42 });
    const rows = await cliSpeedRows({
      root,
      drivers,
      runs: Number(values.runs),
      cli: must(values.cli, "--cli"),
      adminUrl,
      log: (m) => process.stderr.write(`[cli-speed] ${m}\n`),
    });
    let failed = 0;
    for (const r of rows) {
      const verdict = r.target
        ? (r.target.op === ">=" ? r.value >= r.target.value : r.value <= r.target.value)
          ? "PASS"
          : (failed++, "FAIL")
        : "";
      console.log(
        `${r.driver.padEnd(9)} ${r.metric.padEnd(80)} ${r.value.toFixed(2).padStart(9)} ${r.unit.padEnd(4)} ${r.target ? `${r.target.op} ${r.target.value}` : ""} ${verdict}${r.note ? `  (${r.note})` : ""}`,
      );
    }
    if (values.check && failed) process.exitCode = 1;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
