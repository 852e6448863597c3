import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  matchFence,
  matchHeading,
  matchLevel2Heading,
  matchRemovedBullet,
  matchRenameLine,
  matchRequirementHeader,
  matchTaskGroupHeading,
  matchTaskLine,
  matchWhatChangesBullet,
  stripClosingHashes,
} from "../src/utils/openspec/line-scan";

/**
 * The OpenSpec CLI's own patterns (1.13.2), copied verbatim: the scanners must answer exactly
 * like them.
 */
const CLI = {
  heading: /^(#{1,6})\s+(.+)$/,
  level2: /^(##)\s+(.+)$/,
  taskGroup: /^#{1,6}\s+(.+?)\s*\r?$/,
  requirement: /^###\s*Requirement:\s*(.+)\s*$/i,
  removed: /^\s*[-*+]\s*`?###\s*Requirement:\s*(.+?)`?\s*$/,
  from: /^\s*[-*+]?\s*FROM:\s*`?###\s*Requirement:\s*(.+?)`?\s*$/,
  to: /^\s*[-*+]?\s*TO:\s*`?###\s*Requirement:\s*(.+?)`?\s*$/,
  closingHashes: /[ \t]+#+[ \t]*$/,
  whatChanges: /^\s*-\s*\*\*([^*:]+)(?::\*\*|\*\*:)\s*(.+)$/,
  fenceOpen: /^\s*(`{3,}|~{3,})/,
  fenceClose: /^\s*(`{3,}|~{3,})\s*$/,
  task: /^\s*(?:[-*+]|\d{1,9}[.)])\s*\[(?:\s*([^\]\s]?)\s*\](?![([])|\s+\])\s*(.*)/d,
};

const TOKENS = [
  "```",
  "~~~",
  "~",
  " ",
  " ",
  "\t",
  "\r",
  "\n",
  "\u2028",
  "\u00a0",
  "\ufeff",
  "#",
  "##",
  "###",
  "-",
  "*",
  "+",
  "[",
  "]",
  "(",
  "x",
  "X",
  "a",
  "1",
  "12",
  "1234567890",
  ".",
  ")",
  "`",
  ":",
  "**",
  "Requirement:",
  "requirement:",
  "REQUIREMENT:",
  "FROM:",
  "TO:",
  "ş",
];
const line = fc.array(fc.constantFrom(...TOKENS), { maxLength: 14 }).map((t) => t.join(""));
const RUNS = { numRuns: 20000 };

describe("line scanners answer exactly like the CLI's regexes", () => {
  it("headings", () => {
    fc.assert(
      fc.property(line, (s) => {
        const m = s.match(CLI.heading);
        expect(matchHeading(s)).toEqual(m ? { level: m[1]!.length, title: m[2]! } : null);
        expect(matchLevel2Heading(s)).toEqual(s.match(CLI.level2)?.[2] ?? null);
        expect(matchTaskGroupHeading(s)).toEqual(s.match(CLI.taskGroup)?.[1] ?? null);
        for (const [closing, re] of [
          [false, CLI.fenceOpen],
          [true, CLI.fenceClose],
        ] as const) {
          const f = s.match(re);
          expect(matchFence(s, closing)).toEqual(
            f ? { marker: f[1]![0], length: f[1]!.length } : null,
          );
        }
      }),
      RUNS,
    );
  });
  it("requirement headers, REMOVED bullets, RENAMED lines, closing hashes", () => {
    fc.assert(
      fc.property(line, (s) => {
        expect(matchRequirementHeader(s)).toEqual(s.match(CLI.requirement)?.[1] ?? null);
        expect(matchRemovedBullet(s)).toEqual(s.match(CLI.removed)?.[1] ?? null);
        expect(matchRenameLine(s, "FROM:")).toEqual(s.match(CLI.from)?.[1] ?? null);
        expect(matchRenameLine(s, "TO:")).toEqual(s.match(CLI.to)?.[1] ?? null);
        expect(stripClosingHashes(s)).toEqual(s.replace(CLI.closingHashes, ""));
      }),
      RUNS,
    );
  });
  it("What Changes bullets", () => {
    fc.assert(
      fc.property(line, (s) => {
        const m = s.match(CLI.whatChanges);
        expect(matchWhatChangesBullet(s)).toEqual(m ? { spec: m[1]!, description: m[2]! } : null);
      }),
      RUNS,
    );
  });
  it("task lines (mark, its index, the box and the text)", () => {
    fc.assert(
      fc.property(line, (s) => {
        const m = CLI.task.exec(s);
        const ours = matchTaskLine(s);
        if (!m) {
          expect(ours).toBeNull();
          return;
        }
        expect(ours).not.toBeNull();
        expect(ours!.mark).toBe(m[1]);
        if (m[1]) expect(ours!.markIndex).toBe(m.indices![1]![0]);
        expect(ours!.open).toBe(s.indexOf("[", m.indices![0]![0]));
        expect(ours!.text).toBe(m[2]);
      }),
      RUNS,
    );
  });
});
