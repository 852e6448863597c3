import { describe, expect, it } from "vitest";
import { deriveFields, parseDeltaSpec, parseTasks } from "../src/utils/openspec";
import { adversarialCases } from "../testing/adversarial-markdown";

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
