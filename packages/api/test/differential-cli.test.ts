import { mkdtempSync, readdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createServices } from "../src";
import {
  CliOutputService,
  type CliResult,
  FilesCliOutput,
  type ShowType,
} from "../src/services/openspec-output";
import { adversarialCases } from "../testing/adversarial-markdown";
import { describeEachDb } from "../testing/each-db";
import { generateWorkspace } from "../testing/generate-workspace";
import { generatedPool, writeHardCases } from "../testing/generated-workspace";
import { openspecRaw } from "../testing/openspec-cli";
import { cleanupTempRepos, corpusAvailable, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

const hasCorpus = corpusAvailable();

/**
 * The real CLI's answers per workspace, computed once and shared by both database drivers and the
 * files reader (each workspace is written once, below, and only read after).
 */
const oracle = new Map<string, Promise<CliResult>>();
function cli(root: string, args: string[]): Promise<CliResult> {
  const key = `${root}\0${args.join("\0")}`;
  if (!oracle.has(key))
    oracle.set(
      key,
      openspecRaw(root, [...args, "--json"]).then((r) => ({
        stdout: r.stdout,
        stderr: r.stderr,
        exitCode: r.code,
      })),
    );
  return oracle.get(key)!;
}

const roots = new Map<string, string>();
function workspace(kind: "corpus" | "hard" | "generated" | "pathological"): string {
  if (!roots.has(kind)) {
    if (kind === "corpus") roots.set(kind, tempRepo({ corpus: true }));
    else if (kind === "pathological") {
      const root = tempRepo();
      pathologicalCases(root);
      roots.set(kind, root);
    } else if (kind === "hard") {
      const root = tempRepo();
      writeHardCases(root);
      writeCliCorners(root);
      roots.set(kind, root);
    } else {
      const root = mkdtempSync(path.join(tmpdir(), "specsync-gen-"));
      generateWorkspace(root, { changes: 36, archivedShare: 0.5, seed: 11 }, generatedPool(3));
      roots.set(kind, root);
    }
  }
  return roots.get(kind)!;
}

/**
 * The parser-attack files (linear scanners), small enough that the CLI's own backtracking
 * regexes finish.
 */
function pathologicalCases(root: string) {
  const tree: Record<string, string> = {};
  adversarialCases(3000).forEach((c, i) => {
    for (const [file, content] of Object.entries(c.files))
      tree[c.kind === "change" ? `changes/adv-${i}/${file}` : `specs/adv-${i}/${file}`] = content;
  });
  // Near misses around each rule: the same lines with the closing parts the attack leaves out.
  tree["changes/adv-near/proposal.md"] =
    "# Change:    Near   \u2028\n\n## Why\nw\n\n## What Changes\n- **a:**    b   \n- **c**:\u2028d\n";
  tree["changes/adv-near/tasks.md"] =
    "#   Group   \n- [   ]   open\n- [ x ]done\n-[  x  ](link)\n1234567890. [ ] nine digits only\n- [ ](x)\n- [](x)\n";
  tree["changes/adv-near/specs/a/spec.md"] =
    "## ADDED Requirements\n### requirement:   Mixed case   ###  \nThe system SHALL a.\n\n#### Scenario: s\n- x\n###Requirement:\u00a0NBSP #\nThe system SHALL b.\n\n" +
    "## REMOVED Requirements\n  *   `###   Requirement:   Gone   `  \n\n## RENAMED Requirements\n   FROM:  ### Requirement: Old  \n  -TO:`### Requirement: New`\n";
  writeTree(root, tree);
}

/**
 * Corners where the CLI and the sync see `changes/` differently: a hidden folder (listed by `list`, never
 * synced, resolved by `show --type change` only) and a symlink to a change folder (not listed, resolved by
 * `show --type change`, synced by specsync).
 */
function writeCliCorners(root: string) {
  writeTree(root, {
    "changes/.draft/proposal.md":
      "# Change: A hidden draft\n\n## Why\nNot ready.\n\n## What Changes\n- **cli:** later\n",
    "changes/.draft/tasks.md": "- [x] one\n- [ ] two\n",
  });
}

type Output = {
  list(
    root: string,
    opts?: { specs?: boolean; sort?: "recent" | "name" },
  ): Promise<CliResult | null>;
  show(root: string, id: string | undefined, type: ShowType): Promise<CliResult | null>;
};

/** `specsync <args>` through one of the two readers (database rows, or the files). */
function ask(out: Output, root: string, args: string[]): Promise<CliResult | null> {
  if (args[0] === "list")
    return out.list(root, {
      specs: args.includes("--specs"),
      sort: args.includes("name") ? "name" : "recent",
    });
  const t = args.indexOf("--type");
  return out.show(root, args[1], t < 0 ? undefined : (args[t + 1] as ShowType));
}

/**
 * Every `list`/`show` the CLI can be asked on this workspace, with its error cases, compared as raw
 * bytes: stdout, stderr and exit code, nothing stripped or re-sorted.
 */
async function expectByteIdentical(out: Output, root: string) {
  const list = await cli(root, ["list"]);
  const specs = await cli(root, ["list", "--specs"]);
  const cases: string[][] = [
    ["list"],
    ["list", "--specs"],
    ["list", "--sort", "name"],
    ["show", "no-such-item"],
    ["show", "no-such-item", "--type", "change"],
    ["show", "no-such-item", "--type", "spec"],
  ];
  const changeNames = (JSON.parse(list.stdout) as { changes: { name: string }[] }).changes.map(
    (c) => c.name,
  );
  const specIds = (JSON.parse(specs.stdout) as { specs: { id: string }[] }).specs.map((s) => s.id);
  expect(changeNames.length + specIds.length).toBeGreaterThan(3);
  for (const [i, name] of changeNames.entries()) {
    cases.push(["show", name]);
    if (i < 3) cases.push(["show", name, "--type", "spec"]);
  }
  // Every entry of changes/ by name, with and without --type change: hidden folders, symlinks, files.
  for (const name of readdirSync(`${root}/openspec/changes`))
    cases.push(["show", name], ["show", name, "--type", "change"]);
  for (const [i, id] of specIds.entries()) {
    cases.push(["show", id, "--type", "spec"]);
    if (i < 3) cases.push(["show", id, "--type", "change"]);
  }
  const failures: string[] = [];
  for (const args of cases) {
    const [theirs, ours] = await Promise.all([cli(root, args), ask(out, root, args)]);
    try {
      expect(ours, args.join(" ")).toEqual(theirs);
    } catch (err) {
      failures.push((err as Error).message.slice(0, 1500));
    }
  }
  expect(failures, `${failures.length} of ${cases.length} outputs differ`).toEqual([]);
  return cases.length;
}

/** The database reader, after a full sync of the workspace. */
async function fromDatabase(
  services: ReturnType<typeof createServices>,
  root: string,
): Promise<Output> {
  const project = await services.sync.ensureProject(root);
  await services.sync.syncProject(project, "manual");
  return new CliOutputService(services.database);
}

describeEachDb("specsync list/show --json are byte-identical to openspec", (db) => {
  it.skipIf(!hasCorpus)(
    "on the real OpenSpec corpus (every change and spec, error cases)",
    async () => {
      const root = workspace("corpus");
      expect(
        await expectByteIdentical(await fromDatabase(createServices(db().database), root), root),
      ).toBeGreaterThan(20);
    },
    300_000,
  );

  it("on generated hard cases (CRLF, BOM, fences, nested folders, ties, untracked files, unicode, ambiguous ids)", async () => {
    const root = workspace("hard");
    await expectByteIdentical(await fromDatabase(createServices(db().database), root), root);
    // the hard cases do reach the corners they are there for
    const list = (await cli(root, ["list"])).stdout;
    expect(list).toContain('"nested_change_directory"');
    expect((await cli(root, ["show", "cli-tools"])).stdout).toContain("ambiguous_item");
  }, 300_000);

  it("on a generated workspace (this repository's own words)", async () => {
    const root = workspace("generated");
    await expectByteIdentical(await fromDatabase(createServices(db().database), root), root);
  }, 300_000);

  it("on pathological lines that made the old regexes backtrack (and their near misses)", async () => {
    const root = workspace("pathological");
    await expectByteIdentical(await fromDatabase(createServices(db().database), root), root);
  }, 300_000);
});

/**
 * Folders the sync cannot read (their rows carry a syncError) that `openspec list` reads fine: the
 * list from the database must still print what the CLI prints (their mtimes, their task counts).
 */
function writeUnreadable(root: string) {
  const proposal = (name: string) => `# Change: ${name}\n\n## Why\nw\n\n## What Changes\n- x\n`;
  const tasks = "## 1. T\n- [x] 1.1 a\n- [ ] 1.2 b\n- [ ] 1.3 c\n";
  writeTree(root, {
    "changes/ok/proposal.md": proposal("ok"),
    "changes/bad-design/proposal.md": proposal("bad-design"),
    "changes/bad-design/tasks.md": tasks,
    "changes/bad-design/design.md": Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
    "changes/nul/proposal.md": "# Change: nul\n\n## Why\na\u0000b\n",
    "changes/nul/tasks.md": tasks,
    "changes/dir-proposal/proposal.md/x.md": "not a proposal",
    "changes/escape/proposal.md": proposal("escape"),
    "changes/escape/tasks.md": "- [x] done\n",
    // Over the 1 MiB limit: the sync fails the folder, the CLI counts its 24,000 tasks.
    "changes/big-tasks/proposal.md": proposal("big-tasks"),
    "changes/big-tasks/tasks.md": `## 1. Big\n${"- [x] 1.1 done padding padding padding padding\n- [ ] 1.2 open padding padding padding padding\n".repeat(12_000)}`,
  });
  const outside = mkdtempSync(path.join(tmpdir(), "specsync-outside-"));
  writeFileSync(path.join(outside, "design.md"), "outside the root\n");
  symlinkSync(
    path.join(outside, "design.md"),
    path.join(root, "openspec/changes/escape/design.md"),
  );
}

describeEachDb("specsync list --json with folders that fail to sync", (db) => {
  it("is byte-identical to openspec, new folders and one moved out and back", async () => {
    const root = tempRepo();
    writeUnreadable(root);
    const services = createServices(db().database);
    const out = await fromDatabase(services, root);
    const project = await services.sync.ensureProject(root);
    // Moved out (its row deleted), given a bad file while away, moved back.
    const away = path.join(root, "away");
    renameSync(path.join(root, "openspec/changes/ok"), away);
    await services.sync.syncProject(project, "manual");
    writeFileSync(path.join(away, "design.md"), Buffer.from([0xff, 0x0a]));
    writeFileSync(path.join(away, "tasks.md"), "- [ ] new task\n");
    renameSync(away, path.join(root, "openspec/changes/ok"));
    await services.sync.syncProject(project, "manual");
    for (const args of [["list"], ["list", "--sort", "name"]]) {
      const theirs = await openspecRaw(root, [...args, "--json"]);
      const ours = await ask(out, root, args);
      expect(ours, args.join(" ")).toEqual({
        stdout: theirs.stdout,
        stderr: theirs.stderr,
        exitCode: theirs.code,
      });
    }
  }, 120_000);
});

// What `specsync list/show` print when no server runs for the project: the same bytes, from the files.
describe("specsync list/show --json from the files (no server) are byte-identical to openspec", () => {
  it.skipIf(!hasCorpus)(
    "on the real OpenSpec corpus",
    async () => {
      expect(await expectByteIdentical(new FilesCliOutput(), workspace("corpus"))).toBeGreaterThan(
        20,
      );
    },
    300_000,
  );

  it("on generated hard cases, hidden and symlinked change folders included", async () => {
    const root = workspace("hard");
    await expectByteIdentical(new FilesCliOutput(), root);
    expect((await cli(root, ["list"])).stdout).toContain('"name": ".draft"');
    expect((await cli(root, ["show", "link-to-fences", "--type", "change"])).exitCode).toBe(0);
    // --sort name orders by localeCompare, which differs from code-unit order here
    expect((await cli(root, ["list", "--sort", "name"])).stdout).not.toEqual(
      (await cli(root, ["list"])).stdout,
    );
  }, 180_000);

  it("on a generated workspace", async () => {
    await expectByteIdentical(new FilesCliOutput(), workspace("generated"));
  }, 300_000);

  it("on pathological lines", async () => {
    const root = workspace("pathological");
    await expectByteIdentical(new FilesCliOutput(), root);
  }, 180_000);
});
