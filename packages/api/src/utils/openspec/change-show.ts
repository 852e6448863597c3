import type {
  ChangeShowJson,
  DeltaJson,
  RequirementJson,
  SpecShowJson,
} from "@specsync/validators";
import { hasDeltaSections, parseDeltaSpec, type RequirementBlock } from "./delta-spec";
import { deltasFromWhatChanges, extractTitle } from "./proposal";
import { requirementsFromSection } from "./requirements";
import { findSection, parseSections, parseSectionsFromLines, type Section } from "./sections";
import { normalizeContent } from "./text";

/** A parse the CLI would refuse, with the CLI's own message. */
export class OpenSpecParseError extends Error {}

/**
 * `openspec show <change> --json`, computed from contents instead of files.
 * `deltaSpecs` maps capability id → delta spec content.
 */
export function buildChangeShow(
  name: string,
  proposal: string,
  deltaSpecs: Record<string, string>,
  partOf: (spec: string, content: string) => DeltaPart = deltaPartOf,
  /** The proposal's sections, when the caller parsed them already (parseProposal). */
  sections: readonly Section[] = parseSections(proposal),
): ChangeShowJson {
  const why = findSection(sections, "Why")?.content ?? "";
  const whatChanges = findSection(sections, "What Changes")?.content ?? "";
  if (!why) throw new OpenSpecParseError("Change must have a Why section");
  if (!whatChanges) throw new OpenSpecParseError("Change must have a What Changes section");

  const deltas: DeltaJson[] = [];
  let anyDeltaSection = false;
  for (const spec of Object.keys(deltaSpecs).sort(byCodeUnit)) {
    const part = partOf(spec, deltaSpecs[spec] ?? "");
    if (part.any) anyDeltaSection = true;
    deltas.push(...part.deltas);
  }
  const finalDeltas: DeltaJson[] = anyDeltaSection
    ? deltas
    : deltasFromWhatChanges(whatChanges.trim());
  return {
    id: name,
    title: extractTitle(proposal, name),
    deltaCount: finalDeltas.length,
    deltas: finalDeltas,
  };
}

/**
 * What one delta spec adds to its change's `show`: whether it has delta sections at all, and its
 * deltas. A function of the spec's id and content alone (a save reuses it for unchanged files).
 */
export type DeltaPart = { any: boolean; deltas: DeltaJson[] };

export function deltaPartOf(spec: string, content: string): DeltaPart {
  const plan = parseDeltaSpec(content);
  const deltas: DeltaJson[] = [];
  const push = (
    operation: "ADDED" | "MODIFIED" | "REMOVED",
    verb: string,
    blocks: RequirementBlock[],
  ) => {
    for (const requirement of blocks.flatMap(blockToRequirements)) {
      deltas.push({
        spec,
        operation,
        description: `${verb} requirement: ${requirement.text}`,
        requirement,
        requirements: [requirement],
      });
    }
  };
  push("ADDED", "Add", plan.added);
  push("MODIFIED", "Modify", plan.modified);
  const removedBlocks = [...plan.removedBlocks];
  const removed = plan.removed.map((reqName) => {
    const i = removedBlocks.findIndex((b) => b.name === reqName);
    const [block] = i === -1 ? [] : removedBlocks.splice(i, 1);
    if (!block) {
      const headerLine = `### Requirement: ${reqName}`;
      return { headerLine, name: reqName, raw: headerLine };
    }
    return block;
  });
  push("REMOVED", "Remove", removed);
  for (const rename of plan.renamed) {
    deltas.push({
      spec,
      operation: "RENAMED",
      description: `Rename requirement from "${rename.from}" to "${rename.to}"`,
      rename,
    });
  }
  return { any: hasDeltaSections(plan), deltas };
}

function blockToRequirements(block: RequirementBlock): RequirementJson[] {
  const [headerLine = "", ...body] = block.raw.split("\n");
  const title = headerLine.replace(/^###\s*/, "").trim();
  const lines = [`### ${title}`, ...body];
  // Join → normalise → split is the identity without a `\r` (no line holds a `\n`, none starts
  // the text with a BOM): skip the two copies of the block then.
  const [section] = parseSectionsFromLines(
    block.raw.includes("\r") ? normalizeContent(lines.join("\n")).split("\n") : lines,
  );
  if (!section) return [];
  return requirementsFromSection({
    children: [section].filter((c) => /^Requirement:\s*\S/i.test(c.title.trim())),
  });
}

/** `openspec show <spec> --json` for a main capability spec. */
export function buildSpecShow(id: string, content: string): SpecShowJson {
  const sections = parseSections(content);
  const purpose = findSection(sections, "Purpose")?.content ?? "";
  const requirements = findSection(sections, "Requirements");
  if (!purpose) throw new OpenSpecParseError("Spec must have a Purpose section");
  if (!requirements) throw new OpenSpecParseError("Spec must have a Requirements section");
  return {
    id,
    title: id,
    overview: purpose.trim(),
    requirementCount: requirements.children.length,
    requirements: requirementsFromSection(requirements),
    metadata: { version: "1.0.0", format: "openspec" },
  };
}

/** The CLI sorts ids with `<`, i.e. by UTF-16 code unit, not by locale. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
