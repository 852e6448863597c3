/**
 * `specsync show|list` against the real `openspec` CLI, raw stdout, stderr and exit code, where the
 * outside tester found them apart: `show` without `--json` (the Markdown, not JSON), a proposal.md
 * that cannot be read (F3), and a change folder whose name is not valid UTF-8 (F10).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  cleanupTempRepos,
  openspecRaw,
  tempRepo,
  writeHardCases,
  writeTree,
} from "@specsync/api/testing";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer, waitFor } from "../testing";

afterAll(cleanupTempRepos);

const CLI = path.resolve(fileURLToPath(import.meta.url), "../../src/cli.ts");
// By path: the command runs in folders tsx cannot be resolved from (outside any workspace).
const TSX = path.resolve(fileURLToPath(import.meta.url), "../../node_modules/tsx/dist/loader.mjs");
type Out = { stdout: string; stderr: string; exitCode: number };

/** The real `specsync` command in its own process, run in `cwd`, with only the settings given. */
function specsync(cwd: string, args: string[], env: Record<string, string>): Promise<Out> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith("SPECSYNC_") && k !== "DATABASE_URL" && k !== "INIT_CWD",
    ),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", pathToFileURL(TSX).href, CLI, ...args],
      {
        cwd,
        env: { ...base, NO_COLOR: "1", CI: "1", ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        resolve({ stdout, stderr, exitCode: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
  });
}

const MEMORY = { SPECSYNC_DATA_DIR: "memory://" };

/** `specsync <args>` and `openspec <args>`, run in `root`, print the same bytes and exit alike. */
async function expectSame(root: string, args: string[], env: Record<string, string> = MEMORY) {
  const [ours, theirs] = await Promise.all([specsync(root, args, env), openspecRaw(root, args)]);
  expect(ours, `specsync ${args.join(" ")}`).toEqual({
    stdout: theirs.stdout,
    stderr: theirs.stderr,
    exitCode: theirs.code,
  });
}

const PROPOSAL = "## Why\nw\n\n## What Changes\n- **demo:** y\n";

/** Change folders whose proposal.md exists but cannot be read as a proposal (F3). */
function unreadableProposals(): string {
  const root = tempRepo();
  writeTree(root, {
    "changes/c-missing/tasks.md": "- [ ] a\n",
    "changes/c-dangling/tasks.md": "- [ ] a\n",
    "changes/c-outside/tasks.md": "- [ ] a\n",
    "changes/c-in-openspec/tasks.md": "- [ ] a\n",
    "elsewhere.md": PROPOSAL,
    "changes/c-bad-utf8/proposal.md": Buffer.from(`${PROPOSAL}bad \xff byte\n`, "latin1"),
  });
  mkdirSync(path.join(root, "openspec/changes/c-dir/proposal.md"), { recursive: true });
  symlinkSync("/nonexistent/x.md", path.join(root, "openspec/changes/c-dangling/proposal.md"));
  const outside = path.join(mkdtempSync(path.join(tmpdir(), "specsync-outside-")), "p.md");
  writeFileSync(outside, PROPOSAL);
  symlinkSync(outside, path.join(root, "openspec/changes/c-outside/proposal.md"));
  // Inside openspec/ (specsync would read it) but outside the change folder: openspec refuses.
  symlinkSync("../../elsewhere.md", path.join(root, "openspec/changes/c-in-openspec/proposal.md"));
  return root;
}

const F3_SAME = ["c-missing", "c-dangling", "c-outside", "c-in-openspec", "c-dir"];

/** A change folder whose name is the bytes `bad-\xff` (not UTF-8), next to a good one (F10). */
function badNameRepo(): string {
  const root = tempRepo();
  writeTree(root, { "changes/good/proposal.md": PROPOSAL });
  const changes = Buffer.from(path.join(root, "openspec/changes/"));
  mkdirSync(Buffer.concat([changes, Buffer.from([0x62, 0x61, 0x64, 0x2d, 0xff])]));
  return root;
}

describe("specsync show and list print what openspec prints, byte for byte", () => {
  it("show without --json prints the proposal.md / spec.md, and the CLI's text for every failure", async () => {
    const root = tempRepo();
    writeHardCases(root);
    writeTree(root, {
      "changes/twin/proposal.md": `${PROPOSAL}\n`,
      "specs/twin/spec.md": "# twin\n\n## Purpose\np\n\n## Requirements\n",
      // A spec whose JSON cannot be built (no requirements section) still prints as text.
      "specs/bare/spec.md": "# just a title\n",
    });
    for (const args of [
      ["show", "fences"],
      ["show", "cli/init"],
      ["show", "all-ops", "--type", "change"],
      ["show", "no-proposal"],
      ["show", "group"],
      ["show", "nope"],
      ["show", "twin"],
      ["show", "twin", "--type", "spec"],
      ["show", "twin", "--type", "change"],
      ["show", "bare"],
      ["show", "demo", "--type", "change"],
      ["show", "nope", "--type", "spec"],
      ["show"],
    ])
      await expectSame(root, args);
  }, 240_000);

  it("show outside any workspace, without --json", async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "specsync-noroot-"));
    for (const args of [
      ["show", "x"],
      ["show", "x", "--type", "change"],
      ["show", "x", "--type", "spec"],
      ["list"],
    ])
      await expectSame(cwd, args);
  }, 120_000);

  it("F3: a proposal.md that is a directory, a dangling or escaping symlink: the CLI's message", async () => {
    const root = unreadableProposals();
    for (const id of F3_SAME) await expectSame(root, ["show", id, "--json"]);
    // As JSON, specsync refuses bytes that are not UTF-8 (openspec parses the U+FFFD text): a
    // refusal in openspec's shape, naming the file.
    const refused = await specsync(root, ["show", "c-bad-utf8", "--json"], MEMORY);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toBe("");
    expect(JSON.parse(refused.stdout)).toEqual({
      status: [
        {
          severity: "error",
          code: "show_error",
          message: `${path.join(root, "openspec/changes/c-bad-utf8/proposal.md")} is not valid UTF-8`,
        },
      ],
    });
  }, 240_000);

  it("F3 without --json: the same failures as text; a proposal.md that is not UTF-8 printed as openspec prints it", async () => {
    const root = unreadableProposals();
    for (const id of [...F3_SAME, "c-bad-utf8"]) await expectSame(root, ["show", id]);
  }, 240_000);

  it("F3 and F10 through a running server (the database's answer): the same bytes", async () => {
    const root = unreadableProposals();
    const bad = badNameRepo();
    const server = await startTestServer({ databaseUrl: null, projects: [root, bad] });
    // A database this process cannot reach: only the server can answer.
    const unreachable = { DATABASE_URL: "postgres://nobody@127.0.0.1:1/nothing" };
    try {
      for (const id of F3_SAME) await expectSame(root, ["show", id, "--json"], unreachable);
      for (const args of [["list", "--json"], ["list"], ["show", "nope", "--json"]])
        await expectSame(bad, args, unreachable);
      // The server's sync recorded the folder as failed, for the user to see.
      await waitFor(
        async () => /not valid UTF-8/.test(JSON.stringify(await server.client.sync.status.query())),
        20_000,
        "the bad folder among the recent failures",
      );
    } finally {
      await server.stop();
    }
  }, 240_000);

  it("F10: a change folder named with bytes that are not UTF-8: list fails as openspec's", async () => {
    const root = badNameRepo();
    for (const args of [
      ["list"],
      ["list", "--json"],
      ["list", "--specs", "--json"],
      ["show", "good"],
      ["show", "good", "--json"],
      ["show", "nope", "--json"],
      ["show", "bad-\uFFFD", "--json"],
    ])
      await expectSame(root, args);
  }, 240_000);

  it("F10: the sync records a folder whose name is not UTF-8 as failed, not silently dropped", async () => {
    const root = badNameRepo();
    const sync = await specsync(root, ["sync", "--json"], MEMORY);
    expect(sync.exitCode).toBe(2);
    expect(JSON.parse(sync.stdout).projects[0].errors).toEqual([
      { path: "changes/bad-\uFFFD", error: expect.stringMatching(/name is not valid UTF-8/) },
    ]);
  }, 240_000);
});
