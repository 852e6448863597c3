import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { describeEachDb } from "./helpers/each-db";
import { adversarialCases } from "./helpers/adversarial-markdown";
import { openspecJson } from "./helpers/openspec-cli";
import { cleanupTempRepos, tempRepo, writeTree } from "./helpers/workspace";

afterAll(cleanupTempRepos);

/** Generated workspace with the grammar's hard cases. */
function hardCases(root: string) {
  const bom = "\uFEFF";
  writeTree(root, {
    "changes/crlf-change/proposal.md": "# Change: CRLF title\r\n\r\n## Why\r\nWindows line endings.\r\n\r\n## What Changes\r\n- stuff\r\n",
    "changes/crlf-change/tasks.md": "## 1. Group\r\n- [x] 1.1 done\r\n- [ ] 1.2 open\r\n",
    "changes/crlf-change/specs/cli/init/spec.md": "## ADDED Requirements\r\n### Requirement: Nested\r\nThe system SHALL nest.\r\n\r\n#### Scenario: nested\r\n- **WHEN** x\r\n- **THEN** y\r\n",
    "changes/bom-change/proposal.md": bom + "# Proposal\n\n## Why\nBOM first.\n\n## What Changes\n- **demo:** Add a new thing\n- **other:** Remove an old thing\n",
    "changes/bom-change/tasks.md": bom + "- [X] upper X\n  * [ ] indented star\n+ [x] plus\n1. [ ] numbered\n2) [x] paren\n- [] empty box\n- [-] dash\n- [ x ] spaced\n",
    "changes/fences/proposal.md": "# Change: Fences\n\n## Why\nReal why.\n\n```md\n## What Changes\nfake inside fence\n```\n\n## What Changes\n- real\n\n~~~\n# Not a title\n~~~\n",
    "changes/fences/tasks.md": "```\n- [ ] task in a fence still counts\n```\n<!-- - [x] task in a comment counts too -->\n",
    "changes/fences/specs/demo/spec.md": "## MODIFIED Requirements\n### Requirement: Demo\nThe system SHALL demo.\n\n```\n### Requirement: Fake in fence\n```\n\n#### Scenario: ok\n- **WHEN** a\n- **THEN** b\n\n## REMOVED Requirements\n- `### Requirement: Old one`\n### Requirement: Older one\n**Reason**: gone\n\n## RENAMED Requirements\n- FROM: `### Requirement: Before`\n- TO: `### Requirement: After`\n",
    "changes/no-proposal/tasks.md": "- [ ] orphan task\n",
    "changes/no-tasks/proposal.md": "# Change: No tasks\n\n## Why\nWhy not.\n\n## What Changes\n- nothing\n",
    "changes/empty-files/proposal.md": "",
    "changes/empty-files/tasks.md": "",
    "changes/unicode-ünï/proposal.md": "# Change: Ünïcödé ✓ 日本語\n\n## Why\nÉmojis 🎉 and CJK 漢字.\n\n## What Changes\n- ✓ works\n",
    "changes/unicode-ünï/tasks.md": "- [x] ✓ 完了\n- [ ] 🎉 pending\n",
    "changes/missing-why/proposal.md": "# Change: Missing why\n\n## What Changes\n- x\n",
    "specs/demo/spec.md": "# demo\n\n## Purpose\nDemo purpose.\n\n## Requirements\n### Requirement: Demo\nThe system SHALL demo.\n\n#### Scenario: ok\n- **WHEN** a\n- **THEN** b\n\n#### Scenario: empty\n\n### Requirement: Second\n**ID**: R2\n\n#### Scenario: s\nbody\n",
    "specs/cli/init/spec.md": "# cli/init\r\n\r\n## Purpose\r\nNested capability.\r\n\r\n## Requirements\r\n### Requirement: Init\r\nThe command SHALL init.\r\n",
    "specs/no-purpose/spec.md": "# no purpose\n\n## Requirements\n### Requirement: X\nThe system SHALL x.\n",
    "specs/.hidden/spec.md": "# hidden\n",
    "changes/archive/2025-01-01-old-change/proposal.md": "# Change: Old\n\n## Why\nold\n\n## What Changes\n- old\n",
  });
}

/** CLI answers per workspace, computed once and shared by both database drivers. */
const oracle = new Map<string, Promise<unknown>>();
function cli(root: string, args: string[]) {
  const key = root + "\0" + args.join(" ");
  if (!oracle.has(key)) oracle.set(key, openspecJson(root, args).catch(() => null));
  return oracle.get(key) as Promise<any>;
}

/** The parser-attack files (linear scanners), small enough that the CLI's own backtracking regexes finish. */
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

let corpusRoot: string | undefined;
let pathologicalRoot: string | undefined;
let hardRoot: string | undefined;

async function expectAgreement(services: ReturnType<typeof createServices>, root: string) {
  const project = await services.sync.ensureProject(root);
  const summary = await services.sync.syncProject(project, "manual");
  expect(summary.failed).toBe(0);

  const strip = (changes: { lastModified: string; name: string }[]) =>
    changes.map(({ lastModified: _l, ...c }) => c).sort((a, b) => (a.name < b.name ? -1 : 1));
  const cliList = await cli(root, ["list"]);
  const ours = await services.specs.cliListChanges(project.id);
  expect(strip(ours)).toEqual(strip(cliList.changes));

  const cliSpecs = await cli(root, ["list", "--specs"]);
  expect(await services.specs.cliListSpecs(project.id)).toEqual(cliSpecs.specs);

  for (const change of cliList.changes as { name: string }[]) {
    const shown = await cli(root, ["show", change.name, "--type", "change"]);
    if (shown && shown.id) expect(await services.specs.cliShow(project.id, change.name), change.name).toEqual(shown);
    else await expect(services.specs.cliShow(project.id, change.name), change.name).rejects.toThrow();
  }
  for (const spec of cliSpecs.specs as { id: string }[]) {
    const shown = await cli(root, ["show", spec.id, "--type", "spec"]);
    if (shown && shown.id) {
      const { sourcePath: _s, ...metadata } = shown.metadata;
      expect(await services.specs.cliShow(project.id, spec.id), spec.id).toEqual({ ...shown, metadata });
    } else await expect(services.specs.cliShow(project.id, spec.id), spec.id).rejects.toThrow();
  }
  return project;
}

describeEachDb("specsync list/show agree with the OpenSpec CLI", (db) => {
  it("on the real OpenSpec corpus (every change and spec)", async () => {
    const services = createServices(db().database);
    corpusRoot ??= tempRepo({ corpus: true });
    await expectAgreement(services, corpusRoot);
  }, 180_000);

  it("on generated hard cases (CRLF, BOM, fences, nested, missing files, unicode, empty files)", async () => {
    const services = createServices(db().database);
    if (!hardRoot) {
      hardRoot = tempRepo();
      hardCases(hardRoot);
    }
    const project = await expectAgreement(services, hardRoot);
    // hidden capability folders are skipped, as the CLI does
    expect((await services.specs.cliListSpecs(project.id)).map((s) => s.id)).not.toContain(".hidden");
  }, 120_000);

  it("on pathological lines that made the old regexes backtrack (and their near misses)", async () => {
    const services = createServices(db().database);
    if (!pathologicalRoot) {
      pathologicalRoot = tempRepo();
      pathologicalCases(pathologicalRoot);
    }
    await expectAgreement(services, pathologicalRoot);
  }, 120_000);
});
