import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hashFiles } from "../src/services/spec-files";
import { isTrackedFile } from "../src/utils/fs/scan-workspace";
import { createPartsMemo, deriveFields } from "../src/utils/openspec";
import { CORPUS_DIR, generateWorkspace, loadPool } from "../testing";

/**
 * A save derives its row with `createPartsMemo` (the unchanged files' parses reused from the
 * previous save): the derived columns must be exactly those of a full derive, for every change
 * and every kind of edit of every file.
 */
type Change = { name: string; files: Record<string, string> };

function readChange(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d)) {
      const abs = path.join(d, e);
      const r = rel ? `${rel}/${e}` : e;
      if (statSync(abs).isDirectory()) walk(abs, r);
      else if (isTrackedFile("change", r)) files[r] = readFileSync(abs, "utf8");
    }
  };
  walk(dir, "");
  return files;
}

function changesIn(openspec: string): Change[] {
  const root = path.join(openspec, "changes");
  const out: Change[] = [];
  const add = (dir: string, name: string) => {
    if (statSync(dir).isDirectory()) out.push({ name, files: readChange(dir) });
  };
  for (const e of readdirSync(root)) {
    if (e === "archive") {
      for (const a of readdirSync(path.join(root, e))) add(path.join(root, e, a), a);
    } else add(path.join(root, e), e);
  }
  return out;
}

/** Edits a person (or an agent) makes to one file, including ones that break its parse. */
function editsOf(file: string, content: string): (string | undefined)[] {
  const common = [
    `${content}\n<!-- flush x -->\n`,
    content.replace(/\S+/, "Changed"),
    "",
    undefined, // the file deleted
  ];
  if (file === "tasks.md")
    return [...common, `${content}\n- [x] 9.9 One more\n- [ ] 9.10 And another\n`];
  if (file === ".openspec.yaml") return [...common, `${content}extra: [1, 2]\n`, ": : :\n  - ["];
  if (file === "proposal.md")
    return [...common, content.replace(/^## Why/m, "## Because"), `${content}\n## Why\n\nAgain\n`];
  if (file.startsWith("specs/"))
    return [
      ...common,
      `${content}\n#### Scenario: Extra\n- **WHEN** something\n- **THEN** it happens\n`,
      content.replace(/^## ADDED/m, "## MODIFIED"),
      `${content}\n## RENAMED Requirements\n` +
        "- FROM: `### Requirement: A`\n- TO: `### Requirement: B`\n",
    ];
  return common;
}

function checkAll(changes: Change[]): number {
  const memo = createPartsMemo(64);
  let compared = 0;
  const same = (name: string, files: Record<string, string>) => {
    const full = JSON.stringify(deriveFields("change", name, files));
    const reused = JSON.stringify(deriveFields("change", name, files, memo(hashFiles(files))));
    expect(reused, `${name}: ${Object.keys(files).join(", ")}`).toBe(full);
    compared++;
  };
  for (const { name, files } of changes) {
    same(name, files); // fills the memo
    same(name, files); // every part from the memo
    for (const [file, content] of Object.entries(files)) {
      for (const edited of editsOf(file, content)) {
        const next = { ...files };
        if (edited === undefined) delete next[file];
        else next[file] = edited;
        same(name, next);
      }
    }
    // A file added to the change.
    same(name, { ...files, "specs/new-cap/spec.md": "## ADDED Requirements\n" });
  }
  return compared;
}

describe("deriveFields with the parts of earlier derives reused", () => {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  it.skipIf(!existsSync(path.join(CORPUS_DIR, "changes")))(
    "equals a full derive on every change of the OpenSpec corpus, after every edit of every file",
    () => {
      const changes = changesIn(CORPUS_DIR);
      expect(changes.length).toBeGreaterThan(50);
      expect(checkAll(changes)).toBeGreaterThan(1000);
    },
  );

  it("equals a full derive on generated changes, after every edit of every file", () => {
    const root = mkdtempSync(path.join(tmpdir(), "specsync-derive-"));
    made.push(root);
    generateWorkspace(root, { changes: 150, seed: 7 }, loadPool());
    const changes = changesIn(path.join(root, "openspec"));
    expect(changes.length).toBeGreaterThan(100);
    expect(checkAll(changes)).toBeGreaterThan(1000);
  });

  it("keeps its results frozen: a caller cannot change what the next derive reuses", () => {
    const memo = createPartsMemo();
    const files = {
      "proposal.md": "## Why\n\nBecause\n\n## What Changes\n\n- **cap:** a change\n",
      ".openspec.yaml": "schema: spec-driven\ncreated: 2025-01-01\ntags: [a]\n",
      "specs/cap/spec.md":
        "## ADDED Requirements\n\n### Requirement: R\nThe system SHALL work.\n\n" +
        "#### Scenario: S\n- **WHEN** x\n- **THEN** y\n",
    };
    const first = deriveFields("change", "c", files, memo(hashFiles(files)));
    expect(() => {
      (first.meta.tags as string[]).push("b");
    }).toThrow(TypeError);
    expect(() => {
      (first.parsed.show as { deltas: unknown[] } | null)?.deltas.pop();
    }).not.toThrow(); // the change's own list; each delta in it is shared and frozen
    const again = deriveFields("change", "c", files, memo(hashFiles(files)));
    expect(JSON.stringify(again)).toBe(JSON.stringify(deriveFields("change", "c", files)));
  });

  it("is keyed by the files' content hashes: same hash hits, a new hash misses", () => {
    const memo = createPartsMemo(2);
    const tasks = "- [x] 1.1 One\n- [ ] 1.2 Two\n";
    const other = "- [x] 1.1 One\n";
    const a = memo(hashFiles({ "tasks.md": tasks })).tasks(tasks);
    expect(a).toEqual({ total: 2, completed: 1, percent: 50 });
    // A hit is the very object kept (frozen, shared); another folder's hashes reach it too.
    expect(memo(hashFiles({ "tasks.md": tasks, "proposal.md": "x" })).tasks(tasks)).toBe(a);
    // Hashes missing (no tasks.md in the folder): the memo hashes the content itself.
    expect(memo({}).tasks(tasks)).toBe(a);
    const b = memo(hashFiles({ "tasks.md": other })).tasks(other);
    expect(b).not.toBe(a);
    expect(b).toEqual({ total: 1, completed: 1, percent: 100 });
    // The key is the hash: the same bytes under another hash are a miss (a fresh parse).
    expect(memo({ "tasks.md": "not-the-hash" }).tasks(tasks)).not.toBe(a);
    // Least recently used out: `a`'s entry was pushed out by the two after it.
    expect(memo({}).tasks(tasks)).not.toBe(a);
    const meta = "schema: spec-driven\n";
    const m = memo(hashFiles({ ".openspec.yaml": meta })).meta(meta);
    expect(memo({}).meta(meta)).toBe(m);
    const spec = "## ADDED Requirements\n\n### Requirement: R\nThe system SHALL work.\n";
    const d = memo(hashFiles({ "specs/cap/spec.md": spec })).delta("cap", spec);
    expect(memo({}).delta("cap", spec)).toBe(d);
    expect(memo({}).delta("other", spec)).not.toBe(d);
  });
});
