import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { describeEachDb } from "../../../packages/api/test/helpers/each-db";
import { writeHardCases } from "../../../packages/api/test/helpers/generated-workspace";
import { openspecRaw } from "../../../packages/api/test/helpers/openspec-cli";
import { cleanupTempRepos, tempRepo } from "../../../packages/api/test/helpers/workspace";
import { serverFilePath } from "../src/server-file";
import { startTestServer, waitFor } from "./helpers";

afterAll(cleanupTempRepos);

const CLI = path.resolve(fileURLToPath(import.meta.url), "../../src/cli.ts");
type Out = { stdout: string; stderr: string; exitCode: number };

/** The real `specsync` command in its own process, with only the settings given here. */
function specsync(args: string[], env: Record<string, string>): Promise<Out> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SPECSYNC_") && k !== "DATABASE_URL" && k !== "INIT_CWD"));
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", CLI, ...args], { env: { ...base, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ stdout, stderr, exitCode: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
  });
}

const openspec = async (root: string, args: string[]): Promise<Out> => {
  const r = await openspecRaw(root, [...args, "--json"]);
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.code };
};

/** The raw bytes of `specsync <args> --json` equal those of `openspec <args> --json`. */
async function expectSame(root: string, args: string[], env: Record<string, string>) {
  const [ours, theirs] = await Promise.all([specsync([...args, "--json", "--project", root], env), openspec(root, args)]);
  expect(ours, `specsync ${args.join(" ")}`).toEqual(theirs);
}

const CASES = [["list"], ["list", "--specs"], ["show", "fences"], ["show", "all-ops", "--type", "change"], ["show", "cli/init"], ["show", "no-proposal"], ["show", "group"], ["show", "cli-tools"], ["show", "nope"], ["show", "demo", "--type", "change"]];

describeEachDb("the specsync command prints what openspec prints", (db, driver) => {
  it("from the database: synced first when the database does not know the project, then read directly", async () => {
    const root = tempRepo();
    writeHardCases(root);
    const env: Record<string, string> = db().url ? { DATABASE_URL: db().url! } : { SPECSYNC_DATA_DIR: mkdtempSync(path.join(tmpdir(), "specsync-cli-pglite-")) };
    await expectSame(root, ["list"], env); // first run: the project is unknown, so it is synced, then printed
    for (const args of CASES) await expectSame(root, args, env);
  }, 240_000);

  // Not about the database server: run once.
  it.skipIf(driver === "postgres")("with a throwaway database (SPECSYNC_DATA_DIR=memory://) the workspace is synced first, never an empty list", async () => {
    const root = tempRepo();
    writeHardCases(root);
    await expectSame(root, ["list"], { SPECSYNC_DATA_DIR: "memory://" });
  }, 120_000);

  it("asks the server running for the project over HTTP, with its token, and falls back when it is gone", async () => {
    const root = tempRepo();
    writeHardCases(root);
    const token = "t0ken-for-the-cli-test";
    const server = await startTestServer({ databaseUrl: db().url, projects: [root], token });
    const advertised = JSON.parse(readFileSync(serverFilePath(root), "utf8"));
    expect(advertised).toMatchObject({ url: server.url, pid: process.pid, roots: [root] });
    // A database this process cannot reach: only the server can answer.
    const unreachable = { DATABASE_URL: "postgres://nobody@127.0.0.1:1/nothing", SPECSYNC_TOKEN: token };
    try {
      await expectSame(root, ["list"], unreachable);
      await expectSame(root, ["show", "fences"], unreachable);
      await expectSame(root, ["show", "nope", "--type", "spec"], unreachable);
      // An edit on disk reaches the answer through the server's watcher.
      writeFileSync(path.join(root, "openspec/changes/fences/tasks.md"), "- [x] all done now\n");
      await waitFor(async () => {
        const [ours, theirs] = await Promise.all([specsync(["list", "--json", "--project", root], unreachable), openspec(root, ["list"])]);
        return ours.stdout === theirs.stdout && ours.stdout.includes('"complete"');
      }, 15_000, "the edit to show up in specsync list");
      // Without the token the server refuses, and the CLI says why instead of printing something
      // else.
      const refused = await specsync(["list", "--json", "--project", root], { DATABASE_URL: unreachable.DATABASE_URL });
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toMatch(/SPECSYNC_TOKEN/);
      expect(refused.stdout).toBe("");
    } finally {
      await server.stop();
    }
    expect(existsSync(serverFilePath(root))).toBe(false);
    // A live process advertised for the project that does not answer: with the embedded database
    // the CLI refuses to open the data directory a second process may hold; PostgreSQL is safe to
    // share.
    writeFileSync(serverFilePath(root), JSON.stringify({ url: "http://127.0.0.1:1", pid: process.pid, roots: [root] }));
    if (!db().url) {
      const refused = await specsync(["list", "--json", "--project", root], { SPECSYNC_DATA_DIR: mkdtempSync(path.join(tmpdir(), "specsync-cli-pglite-")) });
      expect(refused).toMatchObject({ exitCode: 1, stdout: "" });
      expect(refused.stderr).toMatch(/did not answer.*will not open it too/);
    } else await expectSame(root, ["list"], { DATABASE_URL: db().url! });
    // A stale file (its process is gone) is ignored: the database answers.
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
    writeFileSync(serverFilePath(root), JSON.stringify({ url: "http://127.0.0.1:1", pid: dead, roots: [root] }));
    await expectSame(root, ["list", "--specs"], db().url ? { DATABASE_URL: db().url! } : { SPECSYNC_DATA_DIR: "memory://" });
  }, 240_000);
});
