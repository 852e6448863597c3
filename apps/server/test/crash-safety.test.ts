import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createServices } from "@specsync/api";
import {
  changeFiles,
  cleanupTempRepos,
  createTestDb,
  PROPOSAL,
  postgresReachable,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { createDb, runMigrations } from "@specsync/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleForTest, removeBundle } from "../testing/bundle";

afterAll(cleanupTempRepos);
const pgOk = await postgresReachable();
if (!pgOk && process.env.CI) throw new Error("PostgreSQL must be reachable in CI");
const HERE = path.dirname(fileURLToPath(import.meta.url));
const RUNS = Number(process.env.SPECSYNC_CRASH_RUNS ?? 50);
const PGLITE_RUNS = Number(process.env.SPECSYNC_CRASH_RUNS_PGLITE ?? 20);
// The child script, bundled once to plain JavaScript: 70 children each loading the sources through
// tsx spent most of this file's CPU compiling them.
let flushLoop = "";
beforeAll(async () => {
  flushLoop = path.join(
    await bundleForTest({ "flush-loop": path.join(HERE, "fixtures/flush-loop.ts") }),
    "flush-loop.js",
  );
}, 60_000);
afterAll(() => removeBundle(flushLoop));

describe("crash safety", () => {
  it.skipIf(!pgOk)(
    `kill -9 during flushes, PostgreSQL (${RUNS} runs): every file is old or new bytes, then DB and files converge`,
    () => crashLoop("postgres", RUNS),
    600_000,
  );
  // The embedded database lives in the killed process itself: each run's child must reopen what the
  // previous kill left behind, so this also measures PGlite's own durability under SIGKILL.
  it(
    `kill -9 during flushes, embedded PGlite (${PGLITE_RUNS} runs): the data dir always reopens, then DB and files converge`,
    () => crashLoop("pglite", PGLITE_RUNS),
    600_000,
  );
});

async function crashLoop(driver: "postgres" | "pglite", RUNS: number) {
  const dataDir =
    driver === "pglite" ? mkdtempSync(path.join(tmpdir(), "specsync-crash-pglite-")) : null;
  const testDb =
    driver === "postgres"
      ? await createTestDb("postgres")
      : {
          url: `pglite:${dataDir}`,
          database: await createDb({ dataDir: dataDir! }),
          drop: async () => rmSync(dataDir!, { recursive: true, force: true }),
        };
  if (driver === "pglite") await runMigrations(testDb.database);
  const root = tempRepo();
  const names = ["add-a", "add-b", "add-c"];
  for (const n of names) writeTree(root, changeFiles(n));
  // Large versions widen the window in which a kill lands mid-write.
  const versions = [1, 2, 3].map((v) =>
    PROPOSAL(`version ${v}`, `- ${"padding ".repeat(20_000)}\n`),
  );
  const initial = names.map((n) =>
    readFileSync(path.join(root, "openspec/changes", n, "proposal.md"), "utf8"),
  );
  const allowed = new Set([...initial, ...versions]);
  const versionsFile = path.join(
    mkdtempSync(path.join(tmpdir(), "specsync-crash-")),
    "versions.json",
  );
  writeFileSync(versionsFile, JSON.stringify(versions));
  let services = createServices(testDb.database);
  let project = await services.sync.ensureProject(root);
  await services.sync.syncProject(project, "startup");
  // PGlite allows one process per data dir: the parent lets go while the children run.
  if (driver === "pglite") await testDb.database.close();
  let runsWithTemp = 0;
  const seenTemps = new Set<string>();
  try {
    for (let run = 0; run < RUNS; run++) {
      // --liftoff-only, as the packaged bin runs one-shot commands: each child lives a second or
      // less, too short for optimised WebAssembly (PGlite) to pay back its compilation.
      const args = ["--liftoff-only", flushLoop, testDb.url!, root, versionsFile];
      const child = spawn(process.execPath, args, {
        stdio: ["ignore", "pipe", "ignore"],
      });
      // Runs rotate through three kill moments: a random delay after the child is ready, a random
      // delay after one completed flush (so flushes provably complete between kills even on a loaded
      // machine), and right after the child announces an open temp file (a kill aimed mid-write,
      // which random delays alone missed in every one of 50 runs once on a loaded CI machine).
      const waitFor = (["ready", "flushed", "renaming"] as const)[run % 3] ?? "ready";
      await new Promise<void>((resolve, reject) => {
        // Whole output so far: a word split across two chunks must still be seen.
        let out = "";
        child.stdout?.on("data", (d: Buffer) => {
          out += d.toString();
          if (out.includes(waitFor)) resolve();
        });
        child.once("exit", () => reject(new Error(`child exited before "${waitFor}"`)));
        setTimeout(() => reject(new Error(`child not "${waitFor}" in 60 s`)), 60_000);
      });
      // PGlite runs the database in the child's own thread: a flush takes longer, so the window is
      // wider.
      const spread = waitFor === "renaming" ? 10 : driver === "pglite" ? 500 : 200;
      await new Promise((r) =>
        setTimeout(r, (waitFor === "renaming" ? 0 : 20) + Math.random() * spread),
      );
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      // A kill mid-write leaves a temp file; count only temp files this kill left (earlier ones
      // stay until a sync).
      const temps = names.flatMap((n) =>
        readdirSync(path.join(root, "openspec/changes", n))
          .filter((f) => f.endsWith(".tmp"))
          .map((f) => `${n}/${f}`),
      );
      if (temps.some((t) => !seenTemps.has(t))) runsWithTemp++;
      for (const t of temps) seenTemps.add(t);
      for (const n of names) {
        const bytes = readFileSync(path.join(root, "openspec/changes", n, "proposal.md"), "utf8");
        expect(
          allowed.has(bytes),
          `run ${run}: ${n}/proposal.md is neither an old nor a new version (${bytes.length} bytes)`,
        ).toBe(true);
      }
    }
    console.log(
      `crash safety (${driver}): ${RUNS} kills, ${runsWithTemp} of them in the middle of an atomic write (temp file left behind)`,
    );
    // The loop must actually exercise interrupted writes, or it proves less than it claims: the
    // aimed kills (a third of the runs) land mid-write unless the 25 ms window closes before the
    // parent reads the child's line, so most of them must.
    if (RUNS >= 9)
      expect(runsWithTemp, "kills that landed mid-write").toBeGreaterThanOrEqual(
        Math.floor(RUNS / 9),
      );
    if (driver === "pglite") {
      testDb.database = await createDb({ dataDir: dataDir! });
      services = createServices(testDb.database);
      project = await services.sync.ensureProject(root);
    }
    // Restart: a full sync must converge DB and files, retry or adopt interrupted flushes, and
    // clean temp files.
    // Temp files younger than 10 s are left alone (a write in progress elsewhere): age the ones the
    // kills left by 11 s instead of waiting 10.5 s, so the sync below must remove them.
    const aged = new Date(Date.now() - 11_000);
    for (const n of names) {
      const dir = path.join(root, "openspec/changes", n);
      for (const f of readdirSync(dir).filter((f) => f.endsWith(".tmp")))
        utimesSync(path.join(dir, f), aged, aged);
    }
    const summary = await services.sync.syncProject(project, "startup");
    expect(summary.failed).toBe(0);
    for (const n of names) {
      const item = (
        await services.specs.list({ projectId: project.id, kind: "change", search: n })
      ).items.find((i) => i.name === n)!;
      const got = await services.specs.get(item.id);
      const onDisk = readFileSync(path.join(root, "openspec/changes", n, "proposal.md"), "utf8");
      expect(got.files["proposal.md"]).toBe(onDisk);
      expect(got.pendingFiles).toEqual([]);
      expect(
        readdirSync(path.join(root, "openspec/changes", n)).filter((f) => f.endsWith(".tmp")),
      ).toEqual([]);
    }
    const flushes = (
      await testDb.database.query<{ n: number }>(
        "select count(*)::int as n from sync_history where direction = 'db_to_fs' and success",
      )
    )[0]!.n;
    console.log(
      `crash safety (${driver}): ${flushes} flushes completed and recorded across the ${RUNS} runs`,
    );
    expect(flushes).toBeGreaterThan(0);
  } finally {
    if (driver === "pglite") await testDb.database.close().catch(() => {});
    await testDb.drop();
  }
}
