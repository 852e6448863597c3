import { diffArrays } from "diff";

/**
 * CodeMirror joins lines with "\n" whatever the file used. Saving its text as is would rewrite
 * every line of a CRLF (or CR, or mixed) file. These put the file's own line endings back: lines
 * the person did not touch keep theirs, new or edited lines get the file's most common one.
 */
const EOL = /\r\n|\r|\n/g;

/** The text as CodeMirror holds it: "\n" only. */
export const toEditorText = (s: string) => s.replace(/\r\n?/g, "\n");

function splitKeepingEols(s: string) {
  const lines: string[] = [];
  const eols: string[] = [];
  let last = 0;
  for (const m of s.matchAll(EOL)) {
    lines.push(s.slice(last, m.index));
    eols.push(m[0]);
    last = m.index + m[0].length;
  }
  lines.push(s.slice(last));
  eols.push("");
  return { lines, eols };
}

/** The most common line ending of `s` ("\n" when it has none). */
export function dominantEol(s: string): "\r\n" | "\r" | "\n" {
  const n = { "\r\n": 0, "\r": 0, "\n": 0 };
  for (const m of s.matchAll(EOL)) n[m[0] as keyof typeof n]++;
  return n["\r\n"] > n["\n"] && n["\r\n"] >= n["\r"] ? "\r\n" : n["\r"] > n["\n"] ? "\r" : "\n";
}

/** `edited` (LF only, from the editor) with the line endings of `original` restored. */
export function restoreLineEndings(original: string, edited: string): string {
  if (!original.includes("\r")) return edited;
  const o = splitKeepingEols(original);
  const e = edited.split("\n");
  const eol = dominantEol(original);
  const out: string[] = [];
  let oi = 0;
  for (const part of diffArrays(o.lines, e)) {
    if (part.removed) {
      oi += part.value.length;
      continue;
    }
    for (const [k, line] of part.value.entries()) {
      const kept = part.added ? "" : (o.eols[oi + k] ?? "");
      out.push(line);
      out.push(kept || eol);
    }
    if (!part.added) oi += part.value.length;
  }
  out.pop(); // the last line has no line ending after it (the text's final newline is an empty last line)
  return out.join("");
}
