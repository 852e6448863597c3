import { LCS } from "node-diff3";

type Chain = { buffer1index: number; buffer2index: number; chain: Chain | null } | null;

/** base line index → current line index, for the lines an LCS alignment keeps. */
function aligned(base: string[], current: string[]): Map<number, number> {
  const map = new Map<number, number>();
  for (let c = LCS(base, current) as Chain; c !== null; c = c.chain) {
    if (c.buffer1index >= 0 && c.buffer2index >= 0) map.set(c.buffer1index, c.buffer2index);
  }
  return map;
}

/**
 * The 1-based line of `current` that line `baseLine` of `base` became, when that line is kept
 * unchanged and every alignment places it the same: the alignment run front-to-back and
 * back-to-front must agree (repeated lines, e.g. an identical task added next to it, can align
 * either way). Null when the line changed, went away, or cannot be placed unambiguously.
 */
export function carryLine(base: string, current: string, baseLine: number): number | null {
  const b = base.split("\n");
  const c = current.split("\n");
  const i = baseLine - 1;
  const forward = aligned(b, c).get(i);
  const rb = [...b].reverse();
  const rc = [...c].reverse();
  const back = aligned(rb, rc).get(b.length - 1 - i);
  if (forward === undefined || back === undefined) return null;
  return forward === c.length - 1 - back ? forward + 1 : null;
}
