/**
 * `specsync show|list` against the real `openspec` CLI, raw stdout, stderr and exit code, where the
 * outside tester found them apart: `show` without `--json` (the Markdown, not JSON), a proposal.md
 * that cannot be read (F3), and a change folder whose name is not valid UTF-8 (F10).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  cleanupTempRepos,
  openspecRaw,
  tempRepo,
  writeHardCases,
  writeTree,
} from "@specsync/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, waitFor } from "../testing";
import { bundleCli, ONE_SHOT_FLAGS, removeBundle } from "../testing/bundle";

afterAll(cleanupTempRepos);

// The CLI bundled once to plain JavaScript (it runs in folders outside any workspace): each of the
// file's ~100 commands then loads in a fraction of the CPU `node --import tsx` spent on the sources.
let CLI = "";
beforeAll(async () => {
  CLI = await bundleCli();
}, 60_000);
afterAll(() => removeBundle(CLI));
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
      [...ONE_SHOT_FLAGS, CLI, ...args],
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

/**
 * openspec's answers by workspace and arguments. Each workspace below is written once, shared by the
 * tests that ask it (from the files, through a server) and only read after: a question asked again
 * is answered from here instead of running the same oracle twice.
 */
const oracle = new Map<string, ReturnType<typeof openspecRaw>>();
function openspec(root: string, args: string[]): ReturnType<typeof openspecRaw> {
  const key = `${root}\0${args.join("\0")}`;
  const known = oracle.get(key);
  if (known) return known;
  const answer = openspecRaw(root, args);
  oracle.set(key, answer);
  return answer;
}
/** A workspace made on first use and shared by the tests after. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

/** `specsync <args>` and `openspec <args>`, run in `root`, print the same bytes and exit alike. */
async function expectSame(root: string, args: string[], env: Record<string, string> = MEMORY) {
  const [ours, theirs] = await Promise.all([specsync(root, args, env), openspec(root, args)]);
  expect(ours, `specsync ${args.join(" ")}`).toEqual({
    stdout: theirs.stdout,
    stderr: theirs.stderr,
    exitCode: theirs.code,
  });
}

const PROPOSAL = "## Why\nw\n\n## What Changes\n- **demo:** y\n";

/** Change folders whose proposal.md exists but cannot be read as a proposal (F3). */
const unreadableProposals = once(writeUnreadableProposals);
function writeUnreadableProposals(): string {
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
const badNameRepo = once(writeBadNameRepo);
function writeBadNameRepo(): string {
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

  it("F3: a proposal.md that is a directory, a dangling or escaping symlink, not UTF-8: as openspec", async () => {
    const root = unreadableProposals();
    // A proposal.md that is not UTF-8 is parsed with U+FFFD for the bad bytes, as openspec does.
    for (const id of [...F3_SAME, "c-bad-utf8"]) await expectSame(root, ["show", id, "--json"]);
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

const SPEC = (extra = "") =>
  `# x\n\n## Purpose\npurpose${extra}\n\n## Requirements\n### Requirement: R\n` +
  `The system SHALL do${extra} things.\n\n#### Scenario: s\n- **WHEN** a\n- **THEN** b\n`;
const DELTA = (extra = "") =>
  `## ADDED Requirements\n### Requirement: New${extra}\nThe system SHALL n${extra}.\n\n` +
  "#### Scenario: s\n- **WHEN** a\n- **THEN** b\n";
/** Over the sync's 1 MiB limit (≈1.1 MB of requirements). */
const HUGE_REQUIREMENTS = Array.from(
  { length: 4000 },
  (_, i) => `### Requirement: R${i}\nThe system SHALL do ${i} ${"x".repeat(200)}.\n\n`,
).join("");
const NOT_UTF8 = " \xff and \xfe"; // written as latin1: bytes that are not UTF-8
const latin1 = (s: string) => Buffer.from(s, "latin1");

/** Outside any workspace: a spec, a delta spec and a folder that links point to. */
function outsideTargets(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "specsync-outside-"));
  writeFileSync(path.join(dir, "spec.md"), SPEC());
  writeFileSync(path.join(dir, "delta.md"), DELTA());
  mkdirSync(path.join(dir, "cap"));
  writeFileSync(path.join(dir, "cap/spec.md"), SPEC(" linked"));
  return dir;
}

/**
 * F9–F11: spec and delta-spec files the sync refuses or skips but openspec reads (bytes that are
 * not UTF-8, over 1 MiB, links to folders, dangling links, a capability folder linked in).
 */
function oddSpecsRepo(outside: string): string {
  const root = tempRepo();
  writeTree(root, {
    "specs/ok/spec.md": SPEC(),
    "specs/bad-utf8/spec.md": latin1(SPEC(NOT_UTF8)),
    "specs/huge/spec.md": `# h\n\n## Purpose\np\n\n## Requirements\n${HUGE_REQUIREMENTS}`,
    "specs/to-dir/keep.md": "x",
    "specs/dangling/keep.md": "x",
    "changes/c-ok/proposal.md": PROPOSAL,
    "changes/c-ok/specs/ok/spec.md": DELTA(),
    "changes/c-bad-utf8/proposal.md": PROPOSAL,
    "changes/c-bad-utf8/specs/ok/spec.md": latin1(DELTA(NOT_UTF8)),
    "changes/c-huge/proposal.md": PROPOSAL,
    "changes/c-huge/specs/ok/spec.md": `## ADDED Requirements\n${HUGE_REQUIREMENTS}`,
    "changes/c-to-dir/proposal.md": PROPOSAL,
    "changes/c-to-dir/specs/ok/keep.md": "x",
    "changes/c-dangling/proposal.md": PROPOSAL,
    "changes/c-dangling/specs/ok/keep.md": "x",
    "changes/c-proposal-utf8/proposal.md": latin1(`${PROPOSAL}bad${NOT_UTF8}\n`),
  });
  const os = path.join(root, "openspec");
  symlinkSync(path.join(outside, "cap"), path.join(os, "specs/linked-folder"));
  symlinkSync(outside, path.join(os, "specs/to-dir/spec.md"));
  symlinkSync("/nonexistent/x.md", path.join(os, "specs/dangling/spec.md"));
  symlinkSync(outside, path.join(os, "changes/c-to-dir/specs/ok/spec.md"));
  symlinkSync("/nonexistent/x.md", path.join(os, "changes/c-dangling/specs/ok/spec.md"));
  return root;
}

/** F11: a spec.md linked out of the workspace, or out of specs/ (inside openspec/). */
function escapingSpecRepo(outside: string, inside: boolean): string {
  const root = tempRepo();
  writeTree(root, {
    "specs/ok/spec.md": SPEC(),
    "changes/c-ok/proposal.md": PROPOSAL,
    "elsewhere.md": SPEC(" elsewhere"),
  });
  mkdirSync(path.join(root, "openspec/specs/linked"));
  symlinkSync(
    inside ? "../../elsewhere.md" : path.join(outside, "spec.md"),
    path.join(root, "openspec/specs/linked/spec.md"),
  );
  return root;
}

/** F11 for delta specs: linked out of the workspace, and out of the capability (in openspec/). */
function escapingDeltaRepo(outside: string): string {
  const root = tempRepo();
  writeTree(root, {
    "specs/ok/spec.md": SPEC(),
    "changes/c-out/proposal.md": PROPOSAL,
    "changes/c-in/proposal.md": PROPOSAL,
    "changes/c-in/d.md": DELTA(" in"),
  });
  const changes = path.join(root, "openspec/changes");
  mkdirSync(path.join(changes, "c-out/specs/ok"), { recursive: true });
  mkdirSync(path.join(changes, "c-in/specs/ok"), { recursive: true });
  symlinkSync(path.join(outside, "delta.md"), path.join(changes, "c-out/specs/ok/spec.md"));
  symlinkSync("../../d.md", path.join(changes, "c-in/specs/ok/spec.md"));
  return root;
}

const ODD_ARGS = [
  // The requirement counts of specs the sync refuses (not UTF-8, over 1 MiB) are openspec's too.
  ["list", "--specs", "--json"],
  ...["ok", "bad-utf8", "huge", "to-dir", "dangling", "linked-folder"].flatMap((s) => [
    ["show", s, "--json"],
    ["show", s, "--json", "--type", "spec"],
  ]),
  ...["c-ok", "c-bad-utf8", "c-huge", "c-to-dir", "c-dangling", "c-proposal-utf8"].flatMap((c) => [
    ["show", c, "--json"],
    ["show", c, "--json", "--type", "change"],
    ["show", c, "--json", "--deltas-only"],
  ]),
];
const ESCAPING_ARGS = [
  // openspec's discovery fails list --specs too (its error, with `specs: []`).
  ["list", "--specs", "--json"],
  ["show", "ok", "--json"],
  ["show", "linked", "--json", "--type", "spec"],
  ["show", "c-ok", "--json"],
  ["show", "c-ok", "--json", "--type", "change"],
  // Without --json too: openspec's discovery fails the same way.
  ["show", "ok"],
  ["show", "linked", "--type", "spec"],
];
const DELTA_ARGS = ["c-out", "c-in"].flatMap((c) => [
  ["show", c, "--json"],
  ["show", c, "--json", "--type", "change"],
  ["show", c, "--json", "--deltas-only"],
]);

/** The F9–F11 workspaces (a spec or delta linked out of the workspace, in and out of openspec/). */
const oddRepos = once(() => {
  const outside = outsideTargets();
  return {
    odd: oddSpecsRepo(outside),
    escaping: [escapingSpecRepo(outside, false), escapingSpecRepo(outside, true)],
    deltas: escapingDeltaRepo(outside),
  };
});

describe("F9–F11: show --json on spec and delta-spec files the sync refuses", () => {
  it("from the files (no server): the same bytes as openspec", async () => {
    const { odd, escaping, deltas } = oddRepos();
    for (const args of ODD_ARGS) await expectSame(odd, args);
    for (const root of escaping) for (const args of ESCAPING_ARGS) await expectSame(root, args);
    for (const args of [...DELTA_ARGS, ["show", "ok", "--json"]]) await expectSame(deltas, args);
  }, 600_000);

  it("through a running server (the database's answer): the same bytes", async () => {
    const { odd, escaping, deltas } = oddRepos();
    const server = await startTestServer({
      databaseUrl: null,
      projects: [odd, ...escaping, deltas],
    });
    const unreachable = { DATABASE_URL: "postgres://nobody@127.0.0.1:1/nothing" };
    try {
      for (const args of ODD_ARGS) await expectSame(odd, args, unreachable);
      for (const root of escaping)
        for (const args of ESCAPING_ARGS) await expectSame(root, args, unreachable);
      for (const args of DELTA_ARGS) await expectSame(deltas, args, unreachable);
    } finally {
      await server.stop();
    }
  }, 600_000);
});
