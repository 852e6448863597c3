import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  changeFiles,
  cleanupTempRepos,
  openspecRaw,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_SOURCE, TSX_LOADER } from "../testing";

// npm and pnpm set INIT_CWD (where the person typed) for a script, and every process the script
// starts inherits it. Only the script's own process may act on it: a `specsync` that a script runs
// in another folder must work on the repository around that folder.

const CLI = CLI_SOURCE;
const TSX = TSX_LOADER;
const specsyncCmd = `${JSON.stringify(process.execPath)} --import ${TSX} ${JSON.stringify(CLI)}`;

const made: string[] = [];
afterAll(() => {
  cleanupTempRepos();
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** The user's shell: none of the variables this test run got from its own package manager. */
const shellEnv = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(npm_|pnpm_|INIT_CWD$|SPECSYNC_|DATABASE_URL$|PORT$|WEB_PORT$)/i.test(k),
    ),
  );

/** `npm run -s <script>` from `cwd`; npm ships with Node, so it is there wherever the tests run. */
function npmRun(
  script: string,
  cwd: string,
): Promise<{ stdout: string; stderr: string; code: number }> {
  const npmCli = path.join(
    path.dirname(process.execPath),
    "../lib/node_modules/npm/bin/npm-cli.js",
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [npmCli, "run", "-s", script],
      { cwd, env: shellEnv(), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
  });
}

/** A package (no openspec/ of its own) whose scripts run specsync, and a subfolder to type in. */
function scriptPackage(scripts: Record<string, string>): { pkg: string; sub: string } {
  const pkg = mkdtempSync(path.join(tmpdir(), "specsync-pkg-"));
  made.push(pkg);
  const sub = path.join(pkg, "sub");
  mkdirSync(sub);
  writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "p", scripts }));
  return { pkg, sub };
}

describe("INIT_CWD belongs to the package script's own process", () => {
  it("a script that runs specsync in another repository's folder: that repository, not where the person typed", async () => {
    const repo = tempRepo();
    writeTree(repo, changeFiles("add-search"));
    const { sub } = scriptPackage({
      other: `cd ${JSON.stringify(repo)} && ${specsyncCmd} list --json`,
    });
    const [ours, theirs] = await Promise.all([
      npmRun("other", sub),
      openspecRaw(repo, ["list", "--json"]),
    ]);
    expect(ours.stderr).toBe("");
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
    expect(ours.stdout).toContain("add-search");
  }, 180_000);

  it("the script's own process still resolves relative paths from where the person typed", async () => {
    const { sub } = scriptPackage({ here: `${specsyncCmd} list --json --project repo` });
    const repo = tempRepo();
    writeTree(repo, changeFiles("from-subfolder"));
    cpSync(repo, path.join(sub, "repo"), { recursive: true });
    const ours = await npmRun("here", sub);
    expect(ours.stderr).toBe("");
    expect(ours.code).toBe(0);
    expect(ours.stdout).toContain("from-subfolder");
  }, 180_000);
});
