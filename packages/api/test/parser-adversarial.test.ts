import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { locateOpenSpecCli } from "../src";
import { runValidateJob } from "../src/services/validate-job";
import { deriveFields, parseDeltaSpec, parseTasks } from "../src/utils/openspec";
import { adversarialCases, validatorCases } from "../testing/adversarial-markdown";
import { cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

// Regression bound only (the ≤ 50 ms target lives in `pnpm -F @specsync/bench bench:parsers`):
// before the linear scanners, `- [` + 60,000 spaces took 7 s and 1 MiB of it ~35 minutes.
describe("parsers stay linear on pathological 1 MiB files", () => {
  for (const c of adversarialCases()) {
    it(`${c.name}: parsed in < 2 s`, () => {
      const started = performance.now();
      deriveFields(c.kind, "adv", c.files);
      expect(performance.now() - started).toBeLessThan(2000);
    }, 10_000);
  }

  it("the pathological lines still mean what the CLI's regexes say", () => {
    // A box never closed is no task; a header followed by U+2028 and text is no requirement.
    expect(parseTasks(`- [${" ".repeat(100_000)}`)).toEqual([]);
    expect(parseTasks(`- [${" ".repeat(100_000)}]   done`)).toMatchObject([
      { text: "done", done: false },
    ]);
    expect(
      parseDeltaSpec(`## ADDED Requirements\n### Requirement: a${" ".repeat(100_000)}\u2028x\n`)
        .added,
    ).toEqual([]);
    expect(
      parseDeltaSpec(
        `## ADDED Requirements\n### Requirement: a${" ".repeat(100_000)}#\n`,
      ).added.map((b) => b.name),
    ).toEqual(["a"]);
  });
});

// The validator is the CLI's own (on a worker thread; here in process): its task-line regex was
// quadratic on whitespace inside a box (`- [` + 60,000 spaces: 27 s; 1 MiB never finished and
// froze the server), its requirement-name rule on blanks ending a header (`### Requirement: a` +
// 20,000 spaces: 3 s). Every task-file, proposal and header line kind × whitespace kind, at 1 MiB.
describe("`validate` stays linear on pathological 1 MiB files", () => {
  afterAll(cleanupTempRepos);
  const cases = validatorCases();
  const cli = locateOpenSpecCli();

  it(`${cases.length} files, each validated in < 3 s`, async () => {
    const slow: string[] = [];
    for (const c of cases) {
      const root = tempRepo();
      const files = Object.fromEntries(
        Object.entries(c.files).map(([rel, text]) => [`changes/adv/${rel}`, text]),
      );
      writeTree(root, files);
      const started = performance.now();
      await runValidateJob({
        op: "validate",
        cli,
        changeDir: path.join(root, "openspec/changes/adv"),
        mainSpecsDir: path.join(root, "openspec/specs"),
        projectRoot: root,
      });
      const ms = performance.now() - started;
      if (ms > 3000) slow.push(`${c.name}: ${Math.round(ms)} ms`);
      rmSync(root, { recursive: true, force: true });
    }
    expect(slow).toEqual([]);
  }, 600_000);
});
