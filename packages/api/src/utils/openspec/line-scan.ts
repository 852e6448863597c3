/**
 * Linear-time matchers for the OpenSpec CLI's line regexes.
 *
 * The CLI (1.13) reads markdown with regexes such as `^###\s*Requirement:\s*(.+)\s*$` whose
 * adjacent `\s*` / `.+` can split a run of whitespace in quadratically many ways: `- [` + 60,000
 * spaces took 7 s. Each function below scans a line once and returns exactly what the CLI's regex
 * returns (group text, or null for no match) — the regex each one replaces is quoted above it, and
 * `line-scan.test.ts` checks them against those regexes on random lines.
 *
 * Two character classes matter: JavaScript's `\s`, and the line terminators that `.` refuses
 * (`\n`, `\r`, U+2028, U+2029) — all of which are also `\s`.
 */

/** JavaScript's `\s` (no `u` flag: one UTF-16 code unit). */
export function isWs(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** What `.` does not match. */
export function isLineTerminator(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

// The primitives lean on the engine's native loops (a sticky `\s*`, trimEnd, indexOf): one pass
// each, several times faster than charCodeAt loops on a 1 MiB line. `\s` is exactly what trim()
// removes.
const WS_RUN = /\s*/y;

function skipWs(s: string, i: number): number {
  if (i >= s.length || !isWs(s.charCodeAt(i))) return i;
  WS_RUN.lastIndex = i;
  WS_RUN.exec(s);
  return WS_RUN.lastIndex;
}

/** End of `s` without trailing `\s`, never below `from`. */
function trimmedEnd(s: string, from: number): number {
  return Math.max(from, s.trimEnd().length);
}

const LINE_TERMINATORS = ["\n", "\r", "\u2028", "\u2029"];

function firstLineTerminator(s: string, from: number): number {
  let first = s.length;
  for (const t of LINE_TERMINATORS) {
    const k = s.indexOf(t, from);
    if (k >= 0 && k < first) first = k;
  }
  return first;
}

function hasLineTerminator(s: string, from: number, to: number): boolean {
  return firstLineTerminator(s, from) < to;
}

/**
 * The last character at or after `from` that `.` matches, as the group a whitespace-only tail
 * leaves.
 */
function lastDotChar(s: string, from: number): string | null {
  for (let k = s.length - 1; k >= from; k--)
    if (!isLineTerminator(s.charCodeAt(k))) return s[k] ?? "";
  return null;
}

function startsWithAsciiCaseless(s: string, at: number, word: string): boolean {
  if (at + word.length > s.length) return false;
  for (let k = 0; k < word.length; k++) {
    const a = s.charCodeAt(at + k);
    const b = word.charCodeAt(k);
    if (a === b) continue;
    const isLetter = (b | 0x20) >= 97 && (b | 0x20) <= 122;
    if (!isLetter || (a | 0x20) !== (b | 0x20)) return false;
  }
  return true;
}

function countHashes(s: string, from = 0): number {
  let h = from;
  while (h < s.length && s.charCodeAt(h) === 35) h++;
  return h - from;
}

// ------------------------------------------------------------------ tails (from position i to the
// end)

/** `\s+(.+)$` */
function tailWsPlusRest(s: string, i: number): string | null {
  const a = skipWs(s, i);
  if (a === i) return null;
  if (a < s.length) return hasLineTerminator(s, a, s.length) ? null : s.slice(a);
  // Whitespace only: `\s+` gives its last character back to `.+` when `.` accepts it.
  return s.length - i >= 2 && !isLineTerminator(s.charCodeAt(s.length - 1))
    ? s.slice(s.length - 1)
    : null;
}

/** `\s+(.+?)\s*\r?$` */
function tailWsPlusLazyTrimmed(s: string, i: number): string | null {
  const a = skipWs(s, i);
  if (a === i) return null;
  if (a < s.length) {
    const t = trimmedEnd(s, a);
    return hasLineTerminator(s, a, t) ? null : s.slice(a, t);
  }
  return lastDotChar(s, i + 1);
}

/** `\s*(.+)\s*$` */
function tailGreedyTrimmed(s: string, i: number): string | null {
  const a = skipWs(s, i);
  if (a < s.length) {
    const f = firstLineTerminator(s, a);
    return skipWs(s, f) === s.length ? s.slice(a, f) : null;
  }
  return lastDotChar(s, i);
}

/** `\s*(.+?)`?\s*$` */
function tailLazyBacktickTrimmed(s: string, i: number): string | null {
  const a = skipWs(s, i);
  if (a < s.length) {
    const t = trimmedEnd(s, a);
    const e = t - 1 > a && s.charCodeAt(t - 1) === 96 ? t - 1 : t;
    return hasLineTerminator(s, a, e) ? null : s.slice(a, e);
  }
  return lastDotChar(s, i);
}

/** `\s*(.+)$` */
function tailGreedyToEnd(s: string, i: number): string | null {
  const a = skipWs(s, i);
  if (a < s.length) return hasLineTerminator(s, a, s.length) ? null : s.slice(a);
  return s.length - i >= 1 && !isLineTerminator(s.charCodeAt(s.length - 1))
    ? s.slice(s.length - 1)
    : null;
}

// ------------------------------------------------------------------ the CLI's line patterns

/** `/^(#{1,6})\s+(.+)$/` — a heading of the CLI's MarkdownParser. */
export function matchHeading(line: string): { level: number; title: string } | null {
  const level = countHashes(line);
  if (level < 1 || level > 6) return null;
  const title = tailWsPlusRest(line, level);
  return title === null ? null : { level, title };
}

/** `/^(##)\s+(.+)$/` — a top-level section of a delta spec. */
export function matchLevel2Heading(line: string): string | null {
  return countHashes(line) === 2 ? tailWsPlusRest(line, 2) : null;
}

/** `/^#{1,6}\s+(.+?)\s*\r?$/` — the heading a task sits under (tasks.md). */
export function matchTaskGroupHeading(line: string): string | null {
  const level = countHashes(line);
  if (level < 1 || level > 6) return null;
  return tailWsPlusLazyTrimmed(line, level);
}

/** `/^###\s*Requirement:\s*(.+)\s*$/i` */
export function matchRequirementHeader(line: string): string | null {
  if (!line.startsWith("###")) return null;
  const r = skipWs(line, 3);
  if (!startsWithAsciiCaseless(line, r, "requirement:")) return null;
  return tailGreedyTrimmed(line, r + 12);
}

function bulletRequirementTail(line: string, i: number): string | null {
  i = skipWs(line, i);
  if (line.charCodeAt(i) === 96) i++;
  if (!line.startsWith("###", i)) return null;
  i = skipWs(line, i + 3);
  if (!line.startsWith("Requirement:", i)) return null;
  return tailLazyBacktickTrimmed(line, i + 12);
}

const isBulletMarker = (c: number) => c === 45 || c === 42 || c === 43; // - * +

/** `` /^\s*[-*+]\s*`?###\s*Requirement:\s*(.+?)`?\s*$/ `` — a REMOVED bullet. */
export function matchRemovedBullet(line: string): string | null {
  const i = skipWs(line, 0);
  if (!isBulletMarker(line.charCodeAt(i))) return null;
  return bulletRequirementTail(line, i + 1);
}

/** `` /^\s*[-*+]?\s*FROM:\s*`?###\s*Requirement:\s*(.+?)`?\s*$/ `` (and `TO:`) — a RENAMED line. */
export function matchRenameLine(line: string, keyword: "FROM:" | "TO:"): string | null {
  let i = skipWs(line, 0);
  if (isBulletMarker(line.charCodeAt(i))) i++;
  i = skipWs(line, i);
  if (!line.startsWith(keyword, i)) return null;
  return bulletRequirementTail(line, i + keyword.length);
}

/** `/[ \t]+#+[ \t]*$/` replaced by "" — the closing `#` run of an ATX heading. */
export function stripClosingHashes(name: string): string {
  const isBlank = (c: number) => c === 32 || c === 9;
  let j = name.length;
  while (j > 0 && isBlank(name.charCodeAt(j - 1))) j--;
  let h = j;
  while (h > 0 && name.charCodeAt(h - 1) === 35) h--;
  if (h === j) return name;
  let w = h;
  while (w > 0 && isBlank(name.charCodeAt(w - 1))) w--;
  return w === h ? name : name.slice(0, w);
}

/** `/^\s*-\s*\*\*([^*:]+)(?::\*\*|\*\*:)\s*(.+)$/` — a What Changes bullet (`- **spec:** text`). */
export function matchWhatChangesBullet(line: string): { spec: string; description: string } | null {
  let i = skipWs(line, 0);
  if (line.charCodeAt(i) !== 45) return null;
  i = skipWs(line, i + 1);
  if (!line.startsWith("**", i)) return null;
  i += 2;
  let j = i;
  while (j < line.length && line.charCodeAt(j) !== 42 && line.charCodeAt(j) !== 58) j++;
  if (j === i) return null;
  if (!line.startsWith(":**", j) && !line.startsWith("**:", j)) return null;
  const description = tailGreedyToEnd(line, j + 3);
  return description === null ? null : { spec: line.slice(i, j), description };
}

export type TaskLineMatch = {
  /**
   * The mark inside the box (one UTF-16 unit), "" for `[]`-like boxes, undefined for a
   * whitespace-only box.
   */
  mark: string | undefined;
  /** Index of the mark, when there is one. */
  markIndex: number;
  /** Index of the box's `[`. */
  open: number;
  /** The task text (`(.*)` after the box: up to the first line terminator). */
  text: string;
};

/**
 * `/^\s*(?:[-*+]|\d{1,9}[.)])\s*\[(?:\s*([^\]\s]?)\s*\](?![([])|\s+\])\s*(.*)/` — OpenSpec 1.13's
 * task line.
 */
export function matchTaskLine(line: string): TaskLineMatch | null {
  let i = skipWs(line, 0);
  const c = line.charCodeAt(i);
  if (isBulletMarker(c)) i++;
  else {
    let d = i;
    while (d < line.length && line.charCodeAt(d) >= 48 && line.charCodeAt(d) <= 57) d++;
    const digits = d - i;
    const after = line.charCodeAt(d);
    if (digits < 1 || digits > 9 || (after !== 46 && after !== 41)) return null;
    i = d + 1;
  }
  i = skipWs(line, i);
  if (line.charCodeAt(i) !== 91) return null;
  const open = i;
  const p = i + 1;
  const q = skipWs(line, p);
  const closesBox = (at: number) =>
    line.charCodeAt(at) === 93 && line.charCodeAt(at + 1) !== 40 && line.charCodeAt(at + 1) !== 91;
  let end = -1;
  let mark: string | undefined;
  let markIndex = -1;
  // First alternative: `\s*([^\]\s]?)\s*\](?![([])` — every split of the blanks ends the same way.
  if (q < line.length && line.charCodeAt(q) !== 93) {
    const r = skipWs(line, q + 1);
    if (closesBox(r)) {
      end = r + 1;
      mark = line[q] ?? "";
      markIndex = q;
    }
  } else if (q < line.length && closesBox(q)) {
    end = q + 1;
    mark = "";
  }
  // Second alternative: `\s+\]`.
  if (end < 0 && q > p && line.charCodeAt(q) === 93) end = q + 1;
  if (end < 0) return null;
  const s = skipWs(line, end);
  return { mark, markIndex, open, text: line.slice(s, firstLineTerminator(line, s)) };
}

/**
 * `` /^\s*(`{3,}|~{3,})/ `` (opening) and `` /^\s*(`{3,}|~{3,})\s*$/ `` (closing): the fence run,
 * or null. Linear already as regexes, but this runs on every line of every file: a scan allocates
 * nothing.
 */
export function matchFence(
  line: string,
  closing: boolean,
): { marker: string; length: number } | null {
  const start = skipWs(line, 0);
  const c = line.charCodeAt(start);
  if (c !== 96 && c !== 126) return null;
  let end = start;
  while (end < line.length && line.charCodeAt(end) === c) end++;
  if (end - start < 3) return null;
  if (closing && skipWs(line, end) !== line.length) return null;
  return { marker: line[start] ?? "", length: end - start };
}
