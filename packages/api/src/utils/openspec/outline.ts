import type { Heading, Root } from "mdast";
import { toString as textOf } from "mdast-util-to-string";
import remarkGfm from "remark-gfm";
import remarkParse from "remark-parse";
import { unified } from "unified";

export type OutlineHeading = { depth: number; text: string; line: number };

const processor = unified().use(remarkParse).use(remarkGfm);

/**
 * A CommonMark heading outline for the UI's table of contents (display only; sync uses the CLI's
 * grammar).
 */
export function outline(content: string): OutlineHeading[] {
  const tree = processor.parse(content) as Root;
  return tree.children
    .filter((n): n is Heading => n.type === "heading")
    .map((h) => ({ depth: h.depth, text: textOf(h), line: h.position?.start.line ?? 0 }));
}
