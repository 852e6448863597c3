import matter from "gray-matter";
import { matchWhatChangesBullet } from "./line-scan";
import { findSection, parseSections, type Section } from "./sections";

export type ProposalFields = {
  /** The change's display title (the CLI's `extractTitle`). */
  title: string;
  why: string | null;
  whatChanges: string | null;
  impact: string | null;
  /** YAML front matter, when a tool put one on the proposal. */
  frontMatter: Record<string, unknown>;
  sections: Section[];
};

/**
 * The CLI's title rule: first `# ` line anywhere, `Change:` stripped, a bare `# Proposal` falls
 * back to the id.
 */
export function extractTitle(content: string, changeName: string): string {
  const title = content.match(/^#\s+(?:Change:\s+)?(.+)$/im)?.[1]?.trim();
  return title && title.toLowerCase() !== "proposal" ? title : changeName;
}

export function parseProposal(content: string, changeName: string): ProposalFields {
  const sections = parseSections(content);
  const text = (name: string) => {
    const body = findSection(sections, name)?.content;
    return body ? body.trim() : null;
  };
  return {
    title: extractTitle(content, changeName),
    why: text("Why"),
    whatChanges: text("What Changes"),
    impact: text("Impact"),
    frontMatter: readFrontMatter(content),
    sections,
  };
}

function readFrontMatter(content: string): Record<string, unknown> {
  if (!/^(\uFEFF)?---\r?\n/.test(content)) return {};
  try {
    // gray-matter caches by input string; an empty options object disables that cache.
    return matter(content, {}).data as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The CLI's fallback when no delta spec carries a delta section: bullets in What Changes. */
export function deltasFromWhatChanges(whatChanges: string): {
  spec: string;
  operation: "ADDED" | "MODIFIED" | "REMOVED" | "RENAMED";
  description: string;
}[] {
  const out: {
    spec: string;
    operation: "ADDED" | "MODIFIED" | "REMOVED" | "RENAMED";
    description: string;
  }[] = [];
  for (const line of whatChanges.split("\n")) {
    const m = matchWhatChangesBullet(line);
    if (!m) continue;
    const description = m.description.trim();
    const lower = description.toLowerCase();
    let operation: "ADDED" | "MODIFIED" | "REMOVED" | "RENAMED" = "MODIFIED";
    if (/\brename(s|d|ing)?\b/.test(lower) || /\brenamed\s+(to|from)\b/.test(lower))
      operation = "RENAMED";
    else if (
      /\badd(s|ed|ing)?\b/.test(lower) ||
      /\bcreate(s|d|ing)?\b/.test(lower) ||
      /\bnew\b/.test(lower)
    )
      operation = "ADDED";
    else if (/\bremove(s|d|ing)?\b/.test(lower) || /\bdelete(s|d|ing)?\b/.test(lower))
      operation = "REMOVED";
    out.push({ spec: m.spec.trim(), operation, description });
  }
  return out;
}
