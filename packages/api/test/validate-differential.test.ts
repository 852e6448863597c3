import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { locateOpenSpecCli } from "../src";
import { runValidateJob } from "../src/services/validate-job";
import { openspecJson } from "../testing/openspec-cli";
import {
  CORPUS_DIR,
  changeFiles,
  cleanupTempRepos,
  tempRepo,
  writeTree,
} from "../testing/workspace";

afterAll(cleanupTempRepos);

const corpus = existsSync(path.join(CORPUS_DIR, "changes"));
if (!corpus)
  console.warn(
    `\n⚠ ${CORPUS_DIR} is absent: the corpus part of the validate differential test is SKIPPED (set SPECSYNC_CORPUS)\n`,
  );

/**
 * specsync validates with the CLI's own validator (the job its worker runs, here in process); the
 * oracle is the bin's --json output.
 */
async function compare(root: string, names: string[]) {
  const cli = locateOpenSpecCli();
  const os = path.join(root, "openspec");
  let invalid = 0;
  for (const name of names) {
    const mine = await runValidateJob({
      op: "validate",
      cli,
      changeDir: path.join(os, "changes", name),
      mainSpecsDir: path.join(os, "specs"),
      projectRoot: root,
    });
    const item = (await openspecJson(root, ["validate", name, "--strict"])).items[0];
    expect({ valid: mine.valid, issues: mine.issues }, name).toEqual({
      valid: item.valid,
      issues: item.issues,
    });
    if (!item.valid) invalid++;
  }
  return invalid;
}

describe("in-process validation = `openspec validate <id> --json --strict`", () => {
  it.skipIf(!corpus)(
    "on every active change of the shared corpus",
    async () => {
      const root = tempRepo({ corpus: true });
      const names = readdirSync(path.join(root, "openspec/changes"), { withFileTypes: true })
        .filter((e) => e.isDirectory() && e.name !== "archive")
        .map((e) => e.name);
      const invalid = await compare(root, names);
      console.log(
        `validate differential: ${names.length} corpus changes, ${invalid} invalid, all equal to the CLI's JSON`,
      );
      expect(names.length).toBeGreaterThan(10);
    },
    300_000,
  );

  it("on broken changes (no scenario, no deltas, bad tasks, duplicate requirements)", async () => {
    const root = tempRepo();
    writeTree(root, {
      ...changeFiles("add-no-scenario"),
      "changes/add-no-scenario/specs/demo/spec.md":
        "## ADDED Requirements\n### Requirement: Foo\nNo shall here.\n",
      "changes/add-no-delta/proposal.md": "# Change: x\n\n## Why\nshort\n\n## What Changes\n- a\n",
      ...changeFiles("add-dupes"),
      "changes/add-dupes/specs/demo/spec.md":
        "## ADDED Requirements\n### Requirement: A\nThe system SHALL a.\n\n#### Scenario: a\n- ok\n\n### Requirement: A\nThe system SHALL a.\n\n#### Scenario: a\n- ok\n",
      "changes/add-dupes/tasks.md": "- [ ] 1.1 a\n- [x] 1.1 a again\n* [?] weird\n",
    });
    expect(await compare(root, ["add-no-scenario", "add-no-delta", "add-dupes"])).toBe(3);
  });

  it("on task boxes padded with whitespace runs (which the in-process reads shorten)", async () => {
    const root = tempRepo();
    const pad = (n: number, ws = " ") => ws.repeat(n);
    const boxes = [
      `- [${pad(300)}] 1.1 a`,
      `- [${pad(300, "\t")}x${pad(200, "\u3000")}]${pad(50)}1.2 b`,
      `* [${pad(300)}](link) 1.3`,
      `1. [${pad(2)}]( 2.1 c`,
      `- [${pad(300)}x(`,
      `+ [\u00a0\u00a0X\r\r]\r`,
      `- [${pad(400)}`,
      "- [x](not a task) 1.1",
    ].join("\n");
    writeTree(root, {
      ...changeFiles("pad-boxes"),
      "changes/pad-boxes/tasks.md": `## 1. G\n${boxes}\n- [ ] 1.1 again\n`,
      ...changeFiles("pad-no-box"),
      "changes/pad-no-box/tasks.md": `## 1. G\n- [${pad(300)}x(\n- [${pad(300)}\n- plain\n`,
    });
    await compare(root, ["pad-boxes", "pad-no-box"]);
  });

  it("on header lines ending in blank runs (which the in-process reads shorten)", async () => {
    const root = tempRepo();
    const tails = ["", " ", "  ", "\t\t", " ".repeat(300), "\t \t".repeat(100)];
    const body = "The system SHALL x.\n\n#### Scenario: s\n- **WHEN** a\n- **THEN** b\n";
    const files: Record<string, string> = {};
    const names: string[] = [];
    tails.forEach((t, n) => {
      const eol = n % 2 ? "\r\n" : "\n";
      const lines = [
        `## ADDED Requirements${t}`,
        `### Requirement: a${t}`,
        body,
        `### Requirement: b ###${t}`,
        `The system SHALL b.${t}`,
        `#### Scenario:${t}`,
        `#### Scenario: s ##${t}`,
        "- x",
        `###${t}`,
        `### Other${t}`,
        `### Requirement:${t}`,
        `## MODIFIED Requirements${t}`,
        `### Requirement: Kept${t}`,
        body,
        `## REMOVED Requirements${t}`,
        `### Requirement: gone${t}`,
        `- \`### Requirement: gone too\`${t}`,
        `## RENAMED Requirements${t}`,
        `- FROM: \`### Requirement: old\`${t}`,
        `- TO: \`### Requirement: new\`${t}`,
        `## Notes${t}`,
        `### Requirement: orphan${t}`,
        body,
      ];
      const name = `tail-${n}`;
      names.push(name);
      Object.assign(files, changeFiles(name), {
        [`changes/${name}/specs/demo/spec.md`]: lines.join(eol),
        [`changes/${name}/specs/other${n}/spec.md`]: `#${t}${eol}## ADDED Requirements  ${t}`,
      });
    });
    // A main spec with padded headers: MODIFIED is checked against it for scenario loss.
    const main = `# demo${tails[4]}\n\n## Purpose\nDemo purpose long enough to pass.\n\n`;
    files["specs/demo/spec.md"] =
      `${main}## Requirements${tails[4]}\n### Requirement: Kept${tails[5]}\n${body}` +
      `#### Scenario: lost${tails[4]}\n- **WHEN** a\n- **THEN** b\n`;
    writeTree(root, files);
    expect(await compare(root, names)).toBe(names.length);
  });
});
