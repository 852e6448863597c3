import { diff3Merge } from "node-diff3";

/**
 * One overlapping edit in a merged text: 1-based line numbers of its marker block, and both
 * sides.
 */
export type ConflictRegion = {
  /** Line of `<<<<<<<` in the merged text. */
  startLine: number;
  /** Line of `>>>>>>>` in the merged text. */
  endLine: number;
  current: string;
  mine: string;
  base: string;
};

export type MergeResult =
  | { clean: true; text: string }
  | { clean: false; text: string; conflicts: ConflictRegion[] };

export const MARKER_CURRENT = "<<<<<<< on disk";
export const MARKER_SPLIT = "=======";
export const MARKER_MINE = ">>>>>>> yours";

/**
 * Lines with their own terminators, so CRLF, a missing final newline and every byte survive the
 * merge.
 */
function lines(text: string): string[] {
  return text === "" ? [] : text.split(/(?<=\n)/);
}

/** The newline style of a text (for the markers), CRLF when its first line ends so. */
function eolOf(text: string): string {
  return /\r\n/.test(text.slice(0, text.indexOf("\n") + 1)) ? "\r\n" : "\n";
}

/**
 * Three-way line merge (diff3, node-diff3) of two texts derived from `base`: edits to different
 * lines combine; edits to the same or adjacent lines become a conflict region with git-style
 * markers, the disk side first.
 */
export function mergeThreeWay(base: string, current: string, mine: string): MergeResult {
  if (current === mine) return { clean: true, text: mine };
  if (base === current) return { clean: true, text: mine };
  if (base === mine) return { clean: true, text: current };
  const eol = eolOf(current || mine);
  const regions = diff3Merge<string>(lines(current), lines(base), lines(mine), {
    excludeFalseConflicts: true,
  });
  let text = "";
  let lineNo = 1;
  const conflicts: ConflictRegion[] = [];
  const put = (s: string) => {
    text += s;
    lineNo += (s.match(/\n/g) ?? []).length;
  };
  // A block that does not end with a newline still needs one before the next marker.
  const block = (parts: string[]) => {
    const s = parts.join("");
    return s === "" || s.endsWith("\n") ? s : s + eol;
  };
  for (const region of regions) {
    if (region.ok) {
      put(region.ok.join(""));
      continue;
    }
    const c = region.conflict;
    if (!c) continue; // node-diff3 gives each region either `ok` or `conflict`
    if (text !== "" && !text.endsWith("\n")) put(eol);
    const startLine = lineNo;
    put(MARKER_CURRENT + eol + block(c.a) + MARKER_SPLIT + eol + block(c.b) + MARKER_MINE);
    conflicts.push({
      startLine,
      endLine: lineNo,
      current: c.a.join(""),
      mine: c.b.join(""),
      base: c.o.join(""),
    });
    put(eol);
  }
  return conflicts.length ? { clean: false, text, conflicts } : { clean: true, text };
}

/** True while a text still holds an unresolved conflict block made by mergeThreeWay. */
export function hasConflictMarkers(text: string): boolean {
  return /^<<<<<<< on disk\r?$/m.test(text) && /^>>>>>>> yours\r?$/m.test(text);
}
