/**
 * The symlink swap race, for real: a separate process swaps `changes/race/proposal.md` (and the
 * `specs/` folder on the way to a delta spec) between a regular file and a symlink to a file outside
 * the repository, as fast as it can, while syncs run. Before safe-open.ts, the listing saw a regular
 * file and the read followed the symlink: the outside bytes reached sync_history ~10 times in 20 s.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openspecSpecs, sql, syncHistory } from "@specsync/db";
import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

/** The swapper, stopped once `enough()` holds (or after maxMs, which then fails the test). */
function startSwapper(
  args: { dir: string; outsideFile: string; outsideDir: string },
  dirsOnly = false,
) {
  const stopFile = path.join(mkdtempSync(path.join(tmpdir(), "specsync-swap-")), "stop");
  const swapper = spawn(
    process.execPath,
    [
      "-e",
      SWAPPER,
      stopFile,
      args.dir,
      args.outsideFile,
      args.outsideDir,
      String(MAX_RACE_MS),
    ].concat(dirsOnly ? ["dirs-only"] : []),
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  swapper.stdout.on("data", (c) => (out += c));
  const state = { finished: false };
  const done = new Promise<number>((resolve) => swapper.on("exit", (code) => resolve(code ?? 1)));
  void done.then(() => (state.finished = true));
  const started = Date.now();
  return {
    state,
    /** Ends the race once it ran at least minMs and the caller's count reached minCount. */
    stopWhen: (count: number, minCount: number, minMs: number) => {
      if (count >= minCount && Date.now() - started >= minMs) writeFileSync(stopFile, "");
    },
    done: async () => {
      const code = await done;
      return { code, swaps: Number(out), ms: Date.now() - started };
    },
  };
}
/** Past this the swapper gives up by itself and the count assertions fail (a machine too loaded). */
const MAX_RACE_MS = 80_000;

const SWAPPER = `
const fs = require("node:fs"), path = require("node:path");
const [stopFile, dir, outsideFile, outsideDir, maxMs, dirOnly] = process.argv.slice(1);
const target = path.join(dir, "proposal.md"), specs = path.join(dir, "specs");
const original = fs.readFileSync(target), specsReal = path.join(dir, ".specs-real");
let swaps = 0;
const until = Date.now() + Number(maxMs);
// Runs until the test has made enough attempts (it creates stopFile), not for a fixed time: on a
// loaded machine a fixed window held too few attempts to prove anything.
while (Date.now() < until && !fs.existsSync(stopFile)) {
  if (!dirOnly) {
    // file: symlink in, regular file back (each an atomic rename over the name)
    try { fs.unlinkSync(target + ".l"); } catch {}
    fs.symlinkSync(outsideFile, target + ".l");
    fs.renameSync(target + ".l", target);
    fs.writeFileSync(target + ".r", original);
    fs.renameSync(target + ".r", target);
  }
  // directory on the way: specs/ becomes a symlink to an outside folder, then the real one again
  // (a write landing while specs/ is missing recreates it: clear that copy to restore the real one)
  // (the writer may be recreating it while we clear it, so both steps retry until they win the race)
  const clear = () => { try { fs.rmSync(specs, { recursive: true, force: true }); } catch {} };
  const retry = (step) => { for (let i = 0; ; i++) { try { return step(); } catch (e) { if (i > 1000) throw e; clear(); } } };
  fs.renameSync(specs, specsReal);
  retry(() => fs.symlinkSync(outsideDir, specs));
  fs.unlinkSync(specs);
  retry(() => fs.renameSync(specsReal, specs));
  swaps += 2;
}
process.stdout.write(String(swaps));
`;

describeEachDb("symlink swap race", (db) => {
  it("thousands of swaps while syncs run: 0 outside bytes in openspec_specs or sync_history", async () => {
    const marker = `OUTSIDE-SECRET-${Date.now()}`;
    const outside = mkdtempSync(path.join(tmpdir(), "specsync-outside-"));
    const outsideFile = path.join(outside, "secret.md");
    writeFileSync(
      outsideFile,
      `# Change: ${marker}\n\n## Why\n${marker}\n\n## What Changes\n- ${marker}\n`,
    );
    mkdirSync(path.join(outside, "specs", "demo"), { recursive: true });
    writeFileSync(
      path.join(outside, "specs", "demo", "spec.md"),
      `## ADDED Requirements\n### Requirement: ${marker}\nThe system SHALL leak ${marker}.\n`,
    );
    const root = tempRepo();
    writeTree(root, changeFiles("race"));
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");

    const dir = path.join(root, "openspec", "changes", "race");
    const race = startSwapper({ dir, outsideFile, outsideDir: path.join(outside, "specs") });
    let syncs = 0;
    while (!race.state.finished) {
      await services.sync.syncFolder(project, "changes/race", "file_watcher");
      syncs++;
      race.stopWhen(syncs, 60, 10_000);
      await new Promise((r) => setImmediate(r)); // PGlite answers in microtasks: let the exit event in
    }
    const { code, swaps, ms } = await race.done();
    expect(code).toBe(0);
    expect(swaps).toBeGreaterThan(1000);
    expect(syncs, `syncs in ${ms} ms`).toBeGreaterThan(50);

    const { database } = db();
    const leakedRows = await database.db
      .select({ id: openspecSpecs.id })
      .from(openspecSpecs)
      .where(sql`${openspecSpecs}::text like ${`%${marker}%`}`);
    const leakedHistory = await database.db
      .select({ id: syncHistory.id })
      .from(syncHistory)
      .where(sql`${syncHistory}::text like ${`%${marker}%`}`);
    expect({
      swaps,
      syncs,
      leakedRows: leakedRows.length,
      leakedHistory: leakedHistory.length,
    }).toMatchObject({ leakedRows: 0, leakedHistory: 0 });
  }, 120_000);

  it("writes while specs/ is swapped for a symlink to an outside folder: nothing is written or replaced outside", async () => {
    const outside = mkdtempSync(path.join(tmpdir(), "specsync-outside-"));
    mkdirSync(path.join(outside, "specs", "demo"), { recursive: true });
    const outsideSpec = path.join(outside, "specs", "demo", "spec.md");
    const outsideBytes =
      "## ADDED Requirements\n### Requirement: Outside\nThe system SHALL stay untouched.\n";
    writeFileSync(outsideSpec, outsideBytes);
    const root = tempRepo();
    writeTree(root, changeFiles("race-write"));
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const id = (await services.specs.list({ projectId: project.id, kind: "change" })).items.find(
      (i) => i.name === "race-write",
    )!.id;

    const dir = path.join(root, "openspec", "changes", "race-write");
    const race = startSwapper(
      { dir, outsideFile: outsideSpec, outsideDir: path.join(outside, "specs") },
      true,
    );
    let writes = 0;
    let attempts = 0;
    while (!race.state.finished) {
      attempts++;
      const row = await services.sync.getRow(id);
      await services.sync
        .writeFile({
          id,
          file: "specs/demo/spec.md",
          content: `## ADDED Requirements\n### Requirement: Written ${writes}\nThe system SHALL write ${writes}.\n`,
          baseHash: row.contentHashes["specs/demo/spec.md"] ?? null,
        })
        .then(
          () => writes++,
          () => undefined,
        ); // CONFLICT / refused while the folder is a symlink: fine
      race.stopWhen(attempts, 60, 6_000);
      await new Promise((r) => setImmediate(r));
    }
    const { code, ms } = await race.done();
    expect(code).toBe(0);
    expect(attempts, `attempts in ${ms} ms`).toBeGreaterThan(50);
    expect(writes).toBeGreaterThan(0);
    expect(readFileSync(outsideSpec, "utf8")).toBe(outsideBytes);
    expect(readdirSync(path.join(outside, "specs", "demo"))).toEqual(["spec.md"]); // no temp file left outside either
    const { database } = db();
    const leaked = await database.db
      .select({ id: syncHistory.id })
      .from(syncHistory)
      .where(sql`${syncHistory}::text like ${"%stay untouched%"}`);
    expect(leaked.length).toBe(0);
  }, 120_000);
});
