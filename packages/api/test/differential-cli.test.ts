import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { generateWorkspace } from "../../../bench/src/generate-workspace";
import { createServices } from "../src";
import { CliOutputService, type CliResult } from "../src/services/openspec-output";
import { describeEachDb } from "./helpers/each-db";
import { adversarialCases } from "./helpers/adversarial-markdown";
import { generatedPool, writeHardCases } from "./helpers/generated-workspace";
import { openspecRaw } from "./helpers/openspec-cli";
import { cleanupTempRepos, corpusAvailable, tempRepo, writeTree } from "./helpers/workspace";

afterAll(cleanupTempRepos);

const hasCorpus = corpusAvailable();

/** The real CLI's answers per workspace, computed once and shared by both database drivers. */
const oracle = new Map<string, Promise<CliResult>>();
function cli(root: string, args: string[]): Promise<CliResult> {
  const key = `${root}\0${args.join("\0")}`;
  if (!oracle.has(key)) oracle.set(key, openspecRaw(root, [...args, "--json"]).then((r) => ({ stdout: r.stdout, stderr: r.stderr, exitCode: r.code })));
  return oracle.get(key)!;
}

const roots = new Map<string, string>();
function workspace(kind: "corpus" | "hard" | "generated"): string {
  if (!roots.has(kind)) {
    if (kind === "corpus") roots.set(kind, tempRepo({ corpus: true }));
    else if (kind === "hard") {
      const root = tempRepo();
      writeHardCases(root);
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
    for (const [file, content] of Object.entries(c.files)) tree[c.kind === "change" ? `changes/adv-${i}/${file}` : `specs/adv-${i}/${file}`] = content;
  });
  // Near misses around each rule: the same lines with the closing parts the attack leaves out.
  tree["changes/adv-near/proposal.md"] = "# Change:    Near   \u2028\n\n## Why\nw\n\n## What Changes\n- **a:**    b   \n- **c**:\u2028d\n";
  tree["changes/adv-near/tasks.md"] = "#   Group   \n- [   ]   open\n- [ x ]done\n-[  x  ](link)\n1234567890. [ ] nine digits only\n- [ ](x)\n- [](x)\n";
  tree["changes/adv-near/specs/a/spec.md"] =
    "## ADDED Requirements\n### requirement:   Mixed case   ###  \nThe system SHALL a.\n\n#### Scenario: s\n- x\n###Requirement:\u00a0NBSP #\nThe system SHALL b.\n\n" +
    "## REMOVED Requirements\n  *   `###   Requirement:   Gone   `  \n\n## RENAMED Requirements\n   FROM:  ### Requirement: Old  \n  -TO:`### Requirement: New`\n";
  writeTree(root, tree);
}

/**
 * Every `list`/`show` the CLI can be asked on this workspace, with its error cases, compared as raw
 * bytes: stdout, stderr and exit code, nothing stripped or re-sorted.
 */
async function expectByteIdentical(services: ReturnType<typeof createServices>, root: string) {
  const project = await services.sync.ensureProject(root);
  await services.sync.syncProject(project, "manual");
  const out = new CliOutputService(services.database);
  const list = await cli(root, ["list"]);
  const specs = await cli(root, ["list", "--specs"]);
  const cases: { args: string[]; ours: () => Promise<CliResult | null> }[] = [
    { args: ["list"], ours: () => out.list(root) },
    { args: ["list", "--specs"], ours: () => out.list(root, { specs: true }) },
    { args: ["show", "no-such-item"], ours: () => out.show(root, "no-such-item", undefined) },
    { args: ["show", "no-such-item", "--type", "change"], ours: () => out.show(root, "no-such-item", "change") },
    { args: ["show", "no-such-item", "--type", "spec"], ours: () => out.show(root, "no-such-item", "spec") },
  ];
  const changeNames = (JSON.parse(list.stdout) as { changes: { name: string }[] }).changes.map((c) => c.name);
  const specIds = (JSON.parse(specs.stdout) as { specs: { id: string }[] }).specs.map((s) => s.id);
  expect(changeNames.length + specIds.length).toBeGreaterThan(3);
  for (const [i, name] of changeNames.entries()) {
    cases.push({ args: ["show", name], ours: () => out.show(root, name, undefined) });
    if (i < 3) cases.push({ args: ["show", name, "--type", "spec"], ours: () => out.show(root, name, "spec") });
  }
  for (const [i, id] of specIds.entries()) {
    cases.push({ args: ["show", id, "--type", "spec"], ours: () => out.show(root, id, "spec") });
    if (i < 3) cases.push({ args: ["show", id, "--type", "change"], ours: () => out.show(root, id, "change") });
  }
  const failures: string[] = [];
  for (const c of cases) {
    const [theirs, ours] = await Promise.all([cli(root, c.args), c.ours()]);
    try {
      expect(ours, c.args.join(" ")).toEqual(theirs);
    } catch (err) {
      failures.push((err as Error).message.slice(0, 1500));
    }
  }
  expect(failures, `${failures.length} of ${cases.length} outputs differ`).toEqual([]);
  return cases.length;
}

describeEachDb("specsync list/show --json are byte-identical to openspec", (db) => {
  it.skipIf(!hasCorpus)("on the real OpenSpec corpus (every change and spec, error cases)", async () => {
    expect(await expectByteIdentical(createServices(db().database), workspace("corpus"))).toBeGreaterThan(20);
  }, 300_000);

  it("on generated hard cases (CRLF, BOM, fences, nested folders, ties, untracked files, unicode, ambiguous ids)", async () => {
    const root = workspace("hard");
    await expectByteIdentical(createServices(db().database), root);
    // the hard cases do reach the corners they are there for
    const list = (await cli(root, ["list"])).stdout;
    expect(list).toContain('"nested_change_directory"');
    expect((await cli(root, ["show", "cli-tools"])).stdout).toContain("ambiguous_item");
  }, 180_000);

  it("on a generated workspace (this repository's own words)", async () => {
    await expectByteIdentical(createServices(db().database), workspace("generated"));
  }, 300_000);

  it("on pathological lines that made the old regexes backtrack (and their near misses)", async () => {
    const root = tempRepo();
    pathologicalCases(root);
    await expectByteIdentical(createServices(db().database), root);
  }, 180_000);
});
