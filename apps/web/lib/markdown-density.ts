/**
 * Markdown that micromark (react-markdown, remark-gfm) cannot render in linear time (outside-test
 * F7): it pairs emphasis, strikethrough and link delimiters within a paragraph by looking back
 * over the earlier ones, so a paragraph of `*a` repeated costs the square of its delimiters
 * (10 KB 4 s, 40 KB ~1 min, on the server's single thread). Blank lines end a paragraph, so
 * bounding the delimiters between two blank lines bounds that cost; a fenced block or list counts
 * as one paragraph here, which only errs towards plain text.
 */

/** More `*`, `_`, `~`, `[`, `]` than this between two blank lines: shown as plain text. The
 * densest paragraph of the OpenSpec corpus has ~230; render time is then ≤ ~2× plain prose's. */
export const MAX_DELIMITERS_PER_PARAGRAPH = 500;

const NEWLINE = 10;
const isBlank = (c: number) => c === 32 || c === 9 || c === 13;
const isDelimiter = (c: number) => c === 42 || c === 95 || c === 126 || c === 91 || c === 93;

/** One forward pass: does any paragraph hold more than `max` delimiters? */
export function tooDenseForMarkdown(text: string, max = MAX_DELIMITERS_PER_PARAGRAPH): boolean {
  let count = 0;
  let lineBlank = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) {
      if (lineBlank) count = 0;
      lineBlank = true;
    } else if (!isBlank(c)) {
      lineBlank = false;
      if (isDelimiter(c) && ++count > max) return true;
    }
  }
  return false;
}
