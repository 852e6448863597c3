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
  let levels: number[] | undefined;
  for (let i = 0; i < lines.length; i++) {
    if (mask[i]) continue;
    const m = matchHeading(lines[i] ?? ""); // the CLI's /^(#{1,6})\s+(.+)$/, linear
    if (!m) continue;
    const level = m.level;
    levels ??= headerLevels(lines, mask);
    const section: Section = {
      level,
      title: m.title.trim(),
      content: contentUntilNextHeader(lines, levels, i + 1, level),
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

/**
 * Each line's header level by the CLI's looser test (`#{1,6}` and a space, title or not), 0 for
 * a fenced or plain line: taken once, not again by each section enclosing the line.
 */
function headerLevels(lines: readonly string[], mask: readonly boolean[]): number[] {
  return lines.map((line, i) => (mask[i] ? 0 : (line.match(HEADER_START)?.[1]?.length ?? 0)));
}

function contentUntilNextHeader(
  lines: readonly string[],
  levels: readonly number[],
  start: number,
  level: number,
): string {
  let end = start;
  while (end < lines.length && !((levels[end] ?? 0) > 0 && (levels[end] ?? 0) <= level)) end++;
  return lines.slice(start, end).join("\n").trim();
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
