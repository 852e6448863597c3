import { extractRequirementBody } from "./requirements";
import { findSection, parseSections } from "./sections";

export type RequirementOutline = {
  name: string;
  text: string;
  scenarios: { name: string; content: string }[];
};

const strip = (title: string, prefix: string) =>
  title.replace(new RegExp(`^${prefix}:\\s*`, "i"), "").trim();

/**
 * Requirements of a spec with their names and scenario names (for display; the CLI's JSON has
 * neither): the children of `## Requirements`, and each one's children with a body.
 */
export function requirementOutline(content: string): RequirementOutline[] {
  const section = findSection(parseSections(content), "Requirements");
  if (!section) return [];
  return section.children.map((r) => ({
    name: strip(r.title, "Requirement"),
    text: extractRequirementBody(r.content.split("\n")),
    scenarios: r.children
      .filter((sc) => sc.content.trim().length > 0)
      .map((sc) => ({ name: strip(sc.title, "Scenario"), content: sc.content })),
  }));
}
