/**
 * The OpenSpec CLI's validator reads task files with its task-line regex
 * `^\s*(?:[-*+]|\d{1,9}[.)])\s*\[(?:\s*([^\]\s]?)\s*\](?![([])|\s+\])\s*(.*)`, whose `\s*…\s*` pair
 * inside the box splits a run of whitespace in quadratically many ways: `- [` + 60,000 spaces took
 * 27 s, 1 MiB of it never finished. The regex only asks whether each run inside the box is empty,
 * so shortening every such run to its first character gives the validator the same matches, the
 * same marks, the same descriptions and the same line numbers — in linear time.
 */

// Linear: each `\s*` is followed by one required token that `\s` cannot match.
const BOX_OPEN = /^\s*(?:[-*+]|\d{1,9}[.)])\s*\[/;
const WS_RUN = /\s*/y;

function wsRunEnd(s: string, i: number): number {
  WS_RUN.lastIndex = i;
  WS_RUN.exec(s);
  return WS_RUN.lastIndex;
}

/** `s` with the whitespace run starting at `i` cut to its first character; returns the cut end. */
function keepOne(s: string, i: number): { text: string; end: number } {
  const end = wsRunEnd(s, i);
  return { text: s.slice(i, Math.min(end, i + 1)), end };
}

function shortenLine(line: string): string {
  const open = BOX_OPEN.exec(line);
  if (!open) return line;
  const start = open[0].length;
  const first = keepOne(line, start);
  let out = line.slice(0, start) + first.text;
  let i = first.end;
  const mark = line[i];
  // `[^\]\s]?`: one code unit that is neither `]` nor whitespace, then the second run.
  if (mark !== undefined && mark !== "]") {
    const second = keepOne(line, i + 1);
    out += mark + second.text;
    i = second.end;
  }
  return out + line.slice(i);
}

/** Task-file content as the CLI's task regex reads it, with the runs inside boxes shortened. */
export function shortenTaskBoxRuns(content: string): string {
  if (!content.includes("[")) return content;
  return content.split("\n").map(shortenLine).join("\n");
}
