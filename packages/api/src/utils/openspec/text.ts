import { matchFence } from "./line-scan";

/**
 * Line handling shared by every OpenSpec parser. The CLI strips a BOM and folds CRLF/CR
 * to LF before parsing; writers never do this (they edit the original bytes).
 */
export function normalizeContent(content: string): string {
  return content.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
}

type Fence = { marker: string; length: number };

function openingFence(line: string): Fence | null {
  return matchFence(line, false);
}

function isClosingFence(line: string, fence: Fence): boolean {
  const m = matchFence(line, true);
  return !!m && m.marker === fence.marker && m.length >= fence.length;
}

/** `true` for every line inside a fenced code block, fence lines included (the CLI's rule). */
export function codeFenceMask(lines: readonly string[]): boolean[] {
  const mask = new Array<boolean>(lines.length).fill(false);
  let active: Fence | null = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (!active) {
      active = openingFence(line);
      if (active) mask[i] = true;
      continue;
    }
    mask[i] = true;
    if (isClosingFence(line, active)) active = null;
  }
  return mask;
}
