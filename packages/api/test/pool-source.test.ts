import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generatedPool, loadPool, poolSource } from "../testing";

/**
 * The bench records which pool its workspaces came from (a row is comparable only to a row made
 * with the same pool): `poolSource` must count exactly the corpus documents `loadPool` adds.
 */
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

function corpus(): string {
  const root = mkdtempSync(path.join(tmpdir(), "specsync-pool-"));
  made.push(root);
  const put = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  put("changes/a/proposal.md", "## Why\n\nA\n");
  put("changes/a/tasks.md", "- [ ] 1.1 A\n");
  put("changes/a/specs/cap/spec.md", "## ADDED Requirements\n");
  put("specs/cap/spec.md", "# cap\n");
  put("changes/a/notes.txt", "not a document\n");
  return root;
}

const size = (p: ReturnType<typeof generatedPool>) =>
  Object.values(p).reduce((sum, xs) => sum + xs.length, 0);

describe("poolSource", () => {
  it("counts the corpus documents loadPool adds, and names the corpus", () => {
    const dir = corpus();
    const s = poolSource(dir);
    expect(s.corpusDocuments).toBe(4);
    expect(s.corpusDocuments).toBe(size(loadPool(dir)) - size(generatedPool(7, 60)));
    expect(s.corpus).toBe(dir);
    expect(s.label).toContain("generated + corpus (4 documents");
  });

  it("says 'generated only' when the corpus is absent", () => {
    const s = poolSource(path.join(tmpdir(), "specsync-no-such-corpus"));
    expect(s).toMatchObject({ corpus: null, corpusDocuments: 0 });
    expect(s.label).toMatch(/^generated only/);
  });
});
