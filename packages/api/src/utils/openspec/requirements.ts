import type { RequirementJson } from "@specsync/validators";
import { stripClosingHashes } from "./line-scan";
import type { Section } from "./sections";
import { codeFenceMask } from "./text";

const METADATA_LINE = /^\*\*[^*]+\*\*:/;
const HEADER_LINE = /^#{1,6}\s/;

/**
 * Requirement body: trimmed non-blank, non-fenced lines before the first heading (the CLI's
 * reader).
 */
export function extractRequirementBody(bodyLines: readonly string[]): string {
  const mask = codeFenceMask(bodyLines);
  const captured: string[] = [];
  const metadata: string[] = [];
  for (let i = 0; i < bodyLines.length; i++) {
    if (mask[i]) continue;
    const line = bodyLines[i] ?? "";
    if (HEADER_LINE.test(line)) break;
    const trimmed = line.trim();
    if (!trimmed) continue;
    if (METADATA_LINE.test(trimmed)) metadata.push(trimmed);
    else captured.push(trimmed);
  }
  return captured.length > 0 ? captured.join("\n") : metadata.join("\n");
}

export function extractRequirementText(headerTitle: string, bodyLines: readonly string[]): string {
  return extractRequirementBody(bodyLines) || headerTitle.trim();
}

/**
 * Every child of a requirements section is a requirement; every child of that with a body is a
 * scenario.
 */
export function requirementsFromSection(section: Pick<Section, "children">): RequirementJson[] {
  return section.children.map((child) => ({
    text: extractRequirementText(child.title, child.content.split("\n")),
    scenarios: child.children
      .filter((s) => s.content.trim().length > 0)
      .map((s) => ({ rawText: s.content })),
  }));
}

export function normalizeRequirementName(name: string): string {
  return stripClosingHashes(name).trim(); // the CLI's name.replace(/[ \t]+#+[ \t]*$/, "")
}
