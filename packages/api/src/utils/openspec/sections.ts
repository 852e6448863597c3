import { matchHeading } from "./line-scan";
import { codeFenceMask, normalizeContent } from "./text";

export type Section = { level: number; title: string; content: string; children: Section[] };

const HEADER_START = /^(#{1,6})\s+/;

/** Heading tree exactly as the CLI's MarkdownParser builds it (fenced lines are never headings). */
export function parseSectionsFromLines(
  lines: readonly string[],
  mask = codeFenceMask(lines),
): Section[] {
  const roots: Section[] = [];
  const stack: Section[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (mask[i]) continue;
    const m = matchHeading(lines[i] ?? ""); // the CLI's /^(#{1,6})\s+(.+)$/, linear
    if (!m) continue;
    const level = m.level;
    const section: Section = {
      level,
      title: m.title.trim(),
      content: contentUntilNextHeader(lines, mask, i + 1, level),
      children: [],
    };
    let parent = stack.at(-1);
    while (parent && parent.level >= level) {
      stack.pop();
      parent = stack.at(-1);
    }
    if (parent) parent.children.push(section);
    else roots.push(section);
    stack.push(section);
  }
  return roots;
}

export function parseSections(content: string): Section[] {
  return parseSectionsFromLines(normalizeContent(content).split("\n"));
}

function contentUntilNextHeader(
  lines: readonly string[],
  mask: readonly boolean[],
  start: number,
  level: number,
): string {
  const out: string[] = [];
  for (let i = start; i < lines.length; i++) {
    const m = mask[i] ? null : (lines[i] ?? "").match(HEADER_START);
    if (m && (m[1] ?? "").length <= level) break;
    out.push(lines[i] ?? "");
  }
  return out.join("\n").trim();
}

/** Depth-first, case-insensitive title search (the CLI's findSection). */
export function findSection(sections: readonly Section[], title: string): Section | undefined {
  const wanted = title.toLowerCase();
  for (const section of sections) {
    if (section.title.toLowerCase() === wanted) return section;
    const child = findSection(section.children, title);
    if (child) return child;
  }
  return undefined;
}
