import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildChangeShow,
  buildSpecShow,
  deriveFields,
  extractTitle,
  parseChangeMeta,
  parseDeltaSpec,
  parseTasks,
  summarizeTasks,
  toggleTask,
} from "../src";

describe("tasks", () => {
  it("follows OpenSpec's checkbox rule, fenced lines included", () => {
    const md =
      "- [ ] a\n* [x] b\n+ [X] c\n1. [ ] d\n2) [x] e\n  - [ ] indented\n```\n- [x] fenced\n```\n<!-- - [ ] comment -->\n- [] empty\n- [-] dash\nnot - [ ] a task\n- [link](x)\n";
    const tasks = parseTasks(md);
    expect(tasks.map((t) => [t.text, t.done])).toEqual([
      ["a", false],
      ["b", true],
      ["c", true],
      ["d", false],
      ["e", true],
      ["indented", false],
      ["fenced", true],
      ["empty", false],
      ["dash", false],
    ]);
    expect(summarizeTasks(tasks)).toEqual({ total: 9, completed: 4, percent: 44.44 });
  });

  it("gives stable ids: the task number when unique, else a text hash that follows the line when it moves", () => {
    const a = parseTasks("## 1. G\n- [ ] 1.1 first\n- [ ] unnumbered\n- [ ] unnumbered\n");
    expect(a.map((t) => t.id)).toEqual(["1.1", a[1]!.id, `${a[1]!.id}-2`]);
    const moved = parseTasks("- [ ] other\n- [ ] unnumbered\n## 1. G\n- [ ] 1.1 first\n");
    expect(moved.find((t) => t.text === "1.1 first")!.id).toBe("1.1");
    expect(moved.find((t) => t.text === "unnumbered")!.id).toBe(a[1]!.id);
    expect(moved[2]!.group).toBe("1. G");
  });

  it("toggle changes exactly one character and keeps CRLF and BOM", () => {
    const md = "\uFEFF# T\r\n- [ ] 1.1 a\r\n- [x] 1.2 b\r\n";
    const on = toggleTask(md, "1.1", true)!;
    expect(on).toBe("\uFEFF# T\r\n- [x] 1.1 a\r\n- [x] 1.2 b\r\n");
    expect(toggleTask(on, "1.2", false)).toBe("\uFEFF# T\r\n- [x] 1.1 a\r\n- [ ] 1.2 b\r\n");
    expect(toggleTask(md, "9.9", true)).toBeNull();
    expect(toggleTask("- [] a\n", parseTasks("- [] a\n")[0]!.id, true)).toBe("- [x] a\n");
  });

  it("property: toggling any task of arbitrary markdown changes exactly that one character", () => {
    const line = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc
        .tuple(
          fc.constantFrom("- ", "* ", "  - ", "1. "),
          fc.constantFrom("[ ]", "[x]", "[X]", "[  ]"),
          fc.string({ maxLength: 20 }),
        )
        .map(([a, b, c]) => `${a}${b} ${c}`),
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 20 }),
        fc.constantFrom("\n", "\r\n"),
        (lines, eol) => {
          const md = lines.join(eol);
          for (const task of parseTasks(md)) {
            if (task.emptyBox) continue;
            const next = toggleTask(md, task.id, !task.done)!;
            expect(next.length).toBe(md.length);
            let diffs = 0;
            for (let i = 0; i < md.length; i++) if (md[i] !== next[i]) diffs++;
            expect(diffs).toBe(1);
            const after = parseTasks(next).find((t) => t.line === task.line)!;
            expect(after.done).toBe(!task.done);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("proposal and change show", () => {
  it("extracts the title as the CLI does", () => {
    expect(extractTitle("# Change: Add X\n", "id")).toBe("Add X");
    expect(extractTitle("# Proposal\n", "id")).toBe("id");
    expect(extractTitle("no title", "id")).toBe("id");
  });

  it("refuses a change without Why or What Changes, with the CLI's message", () => {
    expect(() => buildChangeShow("c", "# x\n## What Changes\n- a\n", {})).toThrow(
      "Change must have a Why section",
    );
    expect(() => buildChangeShow("c", "# x\n## Why\nw\n", {})).toThrow(
      "Change must have a What Changes section",
    );
  });

  it("reads ADDED/MODIFIED/REMOVED/RENAMED deltas, ignoring fenced headings", () => {
    const plan = parseDeltaSpec(
      "## ADDED Requirements\n### Requirement: A\nThe system SHALL a.\n```\n### Requirement: Fake\n```\n## removed requirements\n- `### Requirement: B`\n## RENAMED Requirements\n- FROM: `### Requirement: C`\n- TO: `### Requirement: D`\n",
    );
    expect(plan.added.map((b) => b.name)).toEqual(["A"]);
    expect(plan.removed).toEqual(["B"]);
    expect(plan.renamed).toEqual([{ from: "C", to: "D" }]);
  });

  it("main spec: Purpose and Requirements are required", () => {
    expect(() => buildSpecShow("x", "## Requirements\n")).toThrow(
      "Spec must have a Purpose section",
    );
    const show = buildSpecShow(
      "x",
      "## Purpose\np\n## Requirements\n### Requirement: R\nThe system SHALL r.\n#### Scenario: s\n- WHEN a\n",
    );
    expect(show.requirements).toEqual([
      { text: "The system SHALL r.", scenarios: [{ rawText: "- WHEN a" }] },
    ]);
  });

  it(".openspec.yaml keeps unknown keys; malformed YAML becomes a parse error", () => {
    expect(parseChangeMeta("schema: spec-driven\ncreated: 2026-01-02\nowner: me\n")).toEqual({
      schema: "spec-driven",
      created: "2026-01-02",
      owner: "me",
    });
    const d = deriveFields("change", "c", {
      "proposal.md": "# c\n## Why\nw\n## What Changes\n- x\n",
      ".openspec.yaml": "a: [unclosed\n",
    });
    expect(d.parseError).toMatch(/\.openspec\.yaml/);
    expect(d.parsed.show).not.toBeNull();
  });

  it("property: the parsers never throw on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400, unit: "binary" }), (s) => {
        deriveFields("change", "c", {
          "proposal.md": s,
          "tasks.md": s,
          "specs/a/spec.md": s,
          ".openspec.yaml": s,
        });
        deriveFields("spec", "s", { "spec.md": s });
        parseDeltaSpec(s);
      }),
      { numRuns: 500 },
    );
  });
});
