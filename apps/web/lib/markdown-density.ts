/**
 * Markdown that micromark (react-markdown, remark-gfm) cannot render in linear time, or at all:
 *
 * - Delimiters (outside-test F7): it pairs emphasis, strikethrough and link delimiters within a
 *   paragraph by looking back over the earlier ones, so a paragraph of `*a` repeated costs the
 *   square of its delimiters (10 KB 4 s, 40 KB ~1 min, on the server's single thread). Blank lines
 *   end a paragraph, so bounding the delimiters between two blank lines bounds that cost; a fenced
 *   block or list counts as one paragraph here, which only errs towards plain text.
 * - Nesting (session 23, brk3): every `>` or list marker opens a container inside the one before
 *   (`>` × 5,000, `1. ` × 5,000, or a list indented 2 more columns per line); past ~1,000 levels
 *   the render overflows the stack (the change page answered 500 after 23–90 s of a blocked web
 *   server), and well before that each line costs its depth. A line's depth is at most its
 *   markers plus half its indentation, so that is what is bounded.
 * - Setext headings (brk3): each underline (`=`/`-` under a text line) re-walks the events parsed
 *   so far, so `a\n=\n` × 2,500 (10 KB) took 6 s. Bounded: such lines × the text's length.
 */

/** More `*`, `_`, `~`, `[`, `]` than this between two blank lines: shown as plain text. The
 * densest paragraph of the OpenSpec corpus has ~230; render time is then ≤ ~2× plain prose's. */
export const MAX_DELIMITERS_PER_PARAGRAPH = 500;

/** Deeper than this (markers + indentation / 2 on one line): plain text. The corpus' deepest is ~17
 * (indentation in a code block); 64 levels of `>` on 1 MiB of lines render in linear time. */
export const MAX_NESTING = 64;

/** Setext-underline-like lines × text length above this: plain text. The corpus' largest is
 * ~30,000 (4 in 7 KB); 4 M is 4 headings in a 1 MiB text or 330 in a 12 KB chunk (~0.1 s). */
export const MAX_SETEXT_COST = 4_000_000;

const NEWLINE = 10;
const isBlank = (c: number) => c === 32 || c === 9 || c === 13;
const isDelimiter = (c: number) => c === 42 || c === 95 || c === 126 || c === 91 || c === 93;

const isDigit = (c: number) => c >= 48 && c <= 57;
const endsMarker = (c: number) =>
  c === 32 || c === 9 || c === 13 || c === NEWLINE || Number.isNaN(c);

/** Upper bound of the container depth a line opens: its `>` and list markers (`-`, `+`, `*`,
 * `1.`, `1)` followed by a space or the line's end) plus half its other blanks (a tab is 4). */
function lineDepth(text: string, start: number): number {
  let markers = 0;
  let columns = 0;
  let i = start;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 32) columns += 1;
    else if (c === 9) columns += 4;
    else if (c === 62) markers++;
    else if ((c === 45 || c === 43 || c === 42) && endsMarker(text.charCodeAt(i + 1))) markers++;
    else if (isDigit(c)) {
      let j = i;
      while (j - i < 9 && isDigit(text.charCodeAt(j))) j++;
      const d = text.charCodeAt(j);
      if ((d !== 46 && d !== 41) || !endsMarker(text.charCodeAt(j + 1))) break;
      markers++;
      i = j;
    } else break;
    i++;
  }
  // A marker takes the blank after it: `1. 1. a` is 2 levels, `  - a` is 1 + 1.
  return markers + Math.floor(Math.max(0, columns - markers) / 2);
}

/** A line of only `=` or only `-` (up to 3 spaces before, blanks after): a setext underline when
 * a text line precedes it. */
function underlineLike(text: string, start: number): boolean {
  let i = start;
  while (i - start < 3 && text.charCodeAt(i) === 32) i++;
  const mark = text.charCodeAt(i);
  if (mark !== 61 && mark !== 45) return false;
  while (text.charCodeAt(i) === mark) i++;
  while (isBlank(text.charCodeAt(i))) i++;
  return i >= text.length || text.charCodeAt(i) === NEWLINE;
}

/** One forward pass: does any paragraph hold more than `max` delimiters, any line nest deeper
 * than `MAX_NESTING`, or the setext underlines cost more than `MAX_SETEXT_COST`? */
export function tooDenseForMarkdown(text: string, max = MAX_DELIMITERS_PER_PARAGRAPH): boolean {
  if (lineDepth(text, 0) > MAX_NESTING) return true;
  const maxUnderlines = MAX_SETEXT_COST / Math.max(1, text.length);
  let underlines = 0;
  let count = 0;
  let lineBlank = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) {
      if (lineBlank) count = 0;
      // The next line: its nesting, and whether it underlines this (non-blank) line.
      if (lineDepth(text, i + 1) > MAX_NESTING) return true;
      if (!lineBlank && underlineLike(text, i + 1) && ++underlines > maxUnderlines) return true;
      lineBlank = true;
    } else if (!isBlank(c)) {
      lineBlank = false;
      if (isDelimiter(c) && ++count > max) return true;
    }
  }
  return false;
}
