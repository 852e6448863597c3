/**
 * A derive job's reply without the proposal's big sections: the event loop already holds the
 * proposal, and a section of it is a slice there (V8 shares the characters, no copy). Receiving a
 * 1 MiB section as a message costs the event loop a fresh 1–2 MiB string, ~4–8 ms of page faults on
 * a VM (the parse-pool bench row's largest delay, docs/performance.md). Every slice is verified in
 * the worker, so a section this finds no place for simply travels as before.
 */
import type { DerivedFields } from "../utils/openspec";
import { matchHeading } from "../utils/openspec/line-scan";

/** Sections smaller than this travel in the message: copying them costs next to nothing. */
export const SLICE_MIN_CHARS = 64 * 1024;

const SECTIONS = [
  ["why", "why"],
  ["whatChanges", "what changes"],
  ["impact", "impact"],
] as const;
type SectionField = (typeof SECTIONS)[number][0];

/** `field` of the reply is `proposal.md`'s characters [start, end). */
export type ReplySlice = { field: SectionField; start: number; end: number };

/**
 * Worker side: the reply with each big section left out ("") where it is verifiably a slice of
 * the proposal, and where to find it. Linear in the proposal's size.
 */
export function sliceDeriveReply(
  files: Record<string, string>,
  fields: DerivedFields,
): { value: DerivedFields; slices?: ReplySlice[] } {
  const proposal = files["proposal.md"];
  const slices: ReplySlice[] = [];
  if (proposal === undefined) return { value: fields };
  const out = { ...fields };
  for (const [field, title] of SECTIONS) {
    const text = fields[field];
    if (!text || text.length < SLICE_MIN_CHARS) continue;
    const start = sectionTextStart(proposal, title);
    if (start < 0 || proposal.slice(start, start + text.length) !== text) continue;
    slices.push({ field, start, end: start + text.length });
    out[field] = "";
  }
  return slices.length ? { value: out, slices } : { value: fields };
}

/** Event-loop side: put the sections back as slices of the proposal it sent. */
export function unsliceDeriveReply(
  files: Record<string, string>,
  fields: DerivedFields,
  slices: readonly ReplySlice[],
): DerivedFields {
  const proposal = files["proposal.md"] ?? "";
  for (const s of slices) fields[s.field] = proposal.slice(s.start, s.end);
  return fields;
}

/**
 * Where the trimmed text of the first `## <title>` section would start (after its heading line
 * and the whitespace that `trim` drops), or -1. The parser's own rules (fences, CRLF) are not
 * repeated here: the caller compares the characters, so a wrong guess only costs the copy.
 */
function sectionTextStart(content: string, title: string): number {
  let at = content.startsWith("\uFEFF") ? 1 : 0; // the parser drops a BOM
  while (at < content.length) {
    const nl = content.indexOf("\n", at);
    const end = nl < 0 ? content.length : nl;
    const heading = matchHeading(content.slice(at, end));
    if (heading && heading.title.trim().toLowerCase() === title) {
      const rest = content.slice(end);
      return end + rest.length - rest.trimStart().length;
    }
    at = end + 1;
  }
  return -1;
}
