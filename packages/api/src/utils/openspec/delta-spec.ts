import {
  matchLevel2Heading,
  matchRemovedBullet,
  matchRenameLine,
  matchRequirementHeader,
} from "./line-scan";
import { normalizeRequirementName } from "./requirements";
import { codeFenceMask, normalizeContent } from "./text";

/** One `### Requirement:` block of a delta section, raw. */
export type RequirementBlock = { headerLine: string; name: string; raw: string };

export type DeltaPlan = {
  added: RequirementBlock[];
  modified: RequirementBlock[];
  removed: string[];
  removedBlocks: RequirementBlock[];
  renamed: { from: string; to: string }[];
  sectionPresence: { added: boolean; modified: boolean; removed: boolean; renamed: boolean };
};

type SectionBody = { lines: string[]; mask: boolean[] };

/**
 * Parse a delta spec the way `openspec archive` reads it (repeated and case-variant sections all
 * count).
 */
export function parseDeltaSpec(content: string): DeltaPlan {
  const lines = normalizeContent(content).split("\n");
  const mask = codeFenceMask(lines);
  const sections = splitTopLevelSections(lines, mask);
  const bodies = (title: string) =>
    sections.filter((s) => s.title.toLowerCase() === title.toLowerCase()).map((s) => s.body);
  const added = bodies("ADDED Requirements");
  const modified = bodies("MODIFIED Requirements");
  const removed = bodies("REMOVED Requirements");
  const renamed = bodies("RENAMED Requirements");
  return {
    added: added.flatMap(requirementBlocks),
    modified: modified.flatMap(requirementBlocks),
    removed: removed.flatMap(removedNames),
    removedBlocks: removed.flatMap(requirementBlocks),
    renamed: renamed.flatMap(renamedPairs),
    sectionPresence: {
      added: added.length > 0,
      modified: modified.length > 0,
      removed: removed.length > 0,
      renamed: renamed.length > 0,
    },
  };
}

export function hasDeltaSections(plan: DeltaPlan): boolean {
  return Object.values(plan.sectionPresence).some(Boolean);
}

function splitTopLevelSections(
  lines: string[],
  mask: boolean[],
): { title: string; body: SectionBody }[] {
  const starts: { title: string; index: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (mask[i]) continue;
    const title = matchLevel2Heading(lines[i] ?? "");
    if (title !== null) starts.push({ title: title.trim(), index: i });
  }
  return starts.map((s, k) => {
    const end = starts[k + 1]?.index ?? lines.length;
    return {
      title: s.title,
      body: { lines: lines.slice(s.index + 1, end), mask: mask.slice(s.index + 1, end) },
    };
  });
}

function requirementBlocks({ lines, mask }: SectionBody): RequirementBlock[] {
  const isReq = (i: number) => !mask[i] && matchRequirementHeader(lines[i] ?? "") !== null;
  const isTop = (i: number) => !mask[i] && /^##\s+/.test(lines[i] ?? "");
  const blocks: RequirementBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    while (i < lines.length && !isReq(i)) i++;
    if (i >= lines.length) break;
    const headerLine = lines[i] ?? "";
    const name = normalizeRequirementName(matchRequirementHeader(headerLine) ?? ""); // isReq(i) held
    const buf = [headerLine];
    i++;
    while (i < lines.length && !isReq(i) && !isTop(i)) buf.push(lines[i++] ?? "");
    blocks.push({ headerLine, name, raw: buf.join("\n").trimEnd() });
  }
  return blocks;
}

function removedNames({ lines, mask }: SectionBody): string[] {
  const names: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (mask[i]) continue;
    const line = lines[i] ?? "";
    const header = matchRequirementHeader(line);
    if (header !== null) {
      names.push(normalizeRequirementName(header));
      continue;
    }
    const bullet = matchRemovedBullet(line);
    if (bullet !== null) names.push(normalizeRequirementName(bullet));
  }
  return names;
}

function renamedPairs({ lines, mask }: SectionBody): { from: string; to: string }[] {
  const pairs: { from: string; to: string }[] = [];
  let pending: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (mask[i]) continue;
    const line = lines[i] ?? "";
    const from = matchRenameLine(line, "FROM:");
    const to = matchRenameLine(line, "TO:");
    if (from !== null) pending = normalizeRequirementName(from);
    else if (to !== null && pending !== undefined) {
      pairs.push({ from: pending, to: normalizeRequirementName(to) });
      pending = undefined;
    }
  }
  return pairs;
}
