// The pre-scan that keeps Markdown rendering linear (outside-test F7): hostile 1 MiB documents
// go to the plain-text fallback, every real document of the OpenSpec corpus to Markdown.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CORPUS_DIR, corpusAvailable } from "@specsync/api/testing";
import { describe, expect, it } from "vitest";
import { tooDenseForMarkdown } from "../lib/markdown-density";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "../../..");
const MIB = 1024 * 1024;
const fill = (unit: string) => unit.repeat(Math.ceil(MIB / unit.length)).slice(0, MIB);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".md") && !e.parentPath.includes("node_modules"))
    .map((e) => path.join(e.parentPath, e.name));
}

describe("tooDenseForMarkdown", () => {
  it("routes the inputs micromark is quadratic on to plain text", () => {
    for (const unit of ["*a", "**a", "~~a", "a*", "~a", "*a_", "[a]", "](", "_a", "[", "a\n*a"]) {
      expect(tooDenseForMarkdown(fill(unit)), unit).toBe(true);
    }
  });

  // A fresh clone has no ../shared: the corpus half skips with corpusAvailable's note (CI fails).
  it.skipIf(!corpusAvailable())("routes every real document to Markdown", () => {
    const files = [...markdownFiles(CORPUS_DIR), ...markdownFiles(path.join(REPO, "openspec"))];
    expect(files.length).toBeGreaterThan(500);
    const dense = files.filter((f) => tooDenseForMarkdown(readFileSync(f, "utf8")));
    expect(dense).toEqual([]);
  });

  it("counts per paragraph: a blank line starts the count again", () => {
    const paragraph = "*a".repeat(200);
    expect(tooDenseForMarkdown(Array(5000).fill(paragraph).join("\n\n"))).toBe(false);
    expect(tooDenseForMarkdown(Array(5000).fill(paragraph).join("\n"))).toBe(true);
    expect(tooDenseForMarkdown(Array(5000).fill(paragraph).join("\n \t\n"))).toBe(false);
  });
});
