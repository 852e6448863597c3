import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { describeEachDb } from "../testing/each-db";
import { cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

const RUNS = Number(process.env.SPECSYNC_ROUNDTRIP_RUNS ?? 200);

/**
 * Markdown-ish text with the bytes that trip naive tools: BOM, CRLF, lone CR, tabs, NBSP, astral
 * characters.
 */
const text = fc
  .tuple(
    fc.boolean(),
    fc.array(
      fc.oneof(
        fc.string({ unit: "grapheme", maxLength: 40 }),
        fc.constantFrom(
          "## Why",
          "## What Changes",
          "- [ ] 1.1 Task",
          "- [x] 1.2 Done",
          "### Requirement: X",
          "#### Scenario: Y",
          "```",
          "\t",
          "\u00a0",
          "🙂",
          "é",
          "\u200b",
        ),
      ),
      { maxLength: 12 },
    ),
    fc.constantFrom("\n", "\r\n", "\r"),
    fc.boolean(),
  )
  .map(
    ([bom, parts, eol, trailing]) =>
      (bom ? "\ufeff" : "") + parts.join(eol) + (trailing ? eol : ""),
  )
  .filter((s) => !s.includes("\0"));

const FILES = ["proposal.md", "tasks.md", "design.md"] as const;

describeEachDb("round trip: disk → database → edit → disk", (db) => {
  it(`keeps every byte: import is exact, an edit changes only its file, nothing else moves (${RUNS} random folders)`, async () => {
    const services = createServices(db().database);
    const root = tempRepo();
    const project = await services.sync.ensureProject(root);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(text, text, text),
        fc.constantFrom(...FILES),
        text,
        async (contents, target, edit) => {
          const name = `add-rt-${n++}`;
          const folder = path.join(root, "openspec/changes", name);
          const files = Object.fromEntries(FILES.map((f, i) => [f, contents[i]!]));
          writeTree(
            root,
            Object.fromEntries(FILES.map((f) => [`changes/${name}/${f}`, files[f]!])),
          );
          const imported = await services.sync.syncFolder(project, `changes/${name}`, "manual");
          expect(imported.success, imported.error).toBe(true);
          const got = await services.specs.get(imported.specId!);
          for (const f of FILES) expect(got.files[f], `${f} imported`).toBe(files[f]);

          const untouched = FILES.filter((f) => f !== target).map((f) => ({
            f,
            bytes: readFileSync(path.join(folder, f)),
            mtime: statSync(path.join(folder, f)).mtimeMs,
          }));
          await services.specs.update({
            id: got.id,
            file: target,
            content: edit,
            baseHash: got.contentHashes[target]!,
          });
          expect(readFileSync(path.join(folder, target), "utf8"), "edited file on disk").toBe(edit);
          for (const u of untouched) {
            expect(readFileSync(path.join(folder, u.f)).equals(u.bytes), `${u.f} untouched`).toBe(
              true,
            );
            expect(statSync(path.join(folder, u.f)).mtimeMs).toBe(u.mtime);
          }
          const after = await services.specs.get(got.id);
          expect(after.files[target]).toBe(edit);
          // And back again: a sync right after finds nothing to do, and no temp files linger.
          expect(
            (await services.sync.syncFolder(project, `changes/${name}`, "manual")).action,
          ).toBe("noop");
          expect(readdirSync(folder).filter((f) => f.startsWith(".specsync-"))).toEqual([]);
          rmSync(folder, { recursive: true });
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});
