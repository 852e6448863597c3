import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createServices } from "@specsync/api";
import { createTestDb, postgresReachable } from "../../../packages/api/test/helpers/databases";
import { changeFiles, cleanupTempRepos, PROPOSAL, tempRepo, writeTree } from "../../../packages/api/test/helpers/workspace";

afterAll(cleanupTempRepos);
const pgOk = await postgresReachable();
if (!pgOk && process.env.CI) throw new Error("PostgreSQL must be reachable in CI");
const HERE = path.dirname(fileURLToPath(import.meta.url));
const RUNS = Number(process.env.SPECSYNC_CRASH_RUNS ?? 50);

describe.skipIf(!pgOk)("crash safety", () => {
  it(`kill -9 during flushes (${RUNS} runs): every file is old or new bytes, then DB and files converge`, async () => {
    const testDb = await createTestDb("postgres");
    const root = tempRepo();
    const names = ["add-a", "add-b", "add-c"];
    for (const n of names) writeTree(root, changeFiles(n));
    // Large versions widen the window in which a kill lands mid-write.
    const versions = [1, 2, 3].map((v) => PROPOSAL(`version ${v}`, `- ${"padding ".repeat(20_000)}\n`));
    const initial = names.map((n) => readFileSync(path.join(root, "openspec/changes", n, "proposal.md"), "utf8"));
    const allowed = new Set([...initial, ...versions]);
    const versionsFile = path.join(mkdtempSync(path.join(tmpdir(), "specsync-crash-")), "versions.json");
    writeFileSync(versionsFile, JSON.stringify(versions));
    const services = createServices(testDb.database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    let runsWithTemp = 0;
    try {
      for (let run = 0; run < RUNS; run++) {
        const child = spawn(process.execPath, ["--import", "tsx", path.join(HERE, "fixtures/flush-loop.ts"), testDb.url!, root, versionsFile], { stdio: ["ignore", "pipe", "ignore"] });
        await new Promise<void>((resolve, reject) => {
          child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
          child.once("exit", () => reject(new Error("child exited before it was ready")));
          setTimeout(() => reject(new Error("child not ready in 30 s")), 30_000);
        });
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 200));
        child.kill("SIGKILL");
        await new Promise((r) => child.once("exit", r));
        if (names.some((n) => readdirSync(path.join(root, "openspec/changes", n)).some((f) => f.endsWith(".tmp")))) runsWithTemp++;
        for (const n of names) {
          const bytes = readFileSync(path.join(root, "openspec/changes", n, "proposal.md"), "utf8");
          expect(allowed.has(bytes), `run ${run}: ${n}/proposal.md is neither an old nor a new version (${bytes.length} bytes)`).toBe(true);
        }
      }
      console.log(`crash safety: ${RUNS} kills, ${runsWithTemp} of them in the middle of an atomic write (temp file left behind)`);
      // Restart: a full sync must converge DB and files, retry or adopt interrupted flushes, and clean temp files.
      await new Promise((r) => setTimeout(r, 10_500)); // temp files younger than 10 s are left alone
      const summary = await services.sync.syncProject(project, "startup");
      expect(summary.failed).toBe(0);
      for (const n of names) {
        const item = (await services.specs.list({ projectId: project.id, kind: "change", search: n })).items.find((i) => i.name === n)!;
        const got = await services.specs.get(item.id);
        const onDisk = readFileSync(path.join(root, "openspec/changes", n, "proposal.md"), "utf8");
        expect(got.files["proposal.md"]).toBe(onDisk);
        expect(got.pendingFiles).toEqual([]);
        expect(readdirSync(path.join(root, "openspec/changes", n)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      }
      const flushes = (await services.history.list({ projectId: project.id, direction: "db_to_fs", limit: 200 })).items;
      expect(flushes.length).toBeGreaterThan(0);
    } finally {
      await testDb.drop();
    }
  }, 600_000);
});
