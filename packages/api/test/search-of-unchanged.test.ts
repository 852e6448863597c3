import { readFileSync } from "node:fs";
import type { Database } from "@specsync/db";
import fc from "fast-check";
import { expect, it } from "vitest";
import { adversarialCases } from "../testing";
import { describeEachDb } from "../testing/each-db";

/** Migration 0022 made the search-vector functions cheaper; every vector must stay the same. The
 * reference is 0020's own SQL, loaded under other names next to the current functions. */
const MIGRATION_0020 = new URL("../../db/drizzle/0020_search_text_bounded.sql", import.meta.url);
const MIB = 1024 * 1024;

async function loadReference(database: Database) {
  const sql = readFileSync(MIGRATION_0020, "utf8")
    .replaceAll("openspec_search_text", "ref0020_search_text")
    .replaceAll("openspec_specs_search_of", "ref0020_specs_search_of");
  for (const statement of sql.split("--> statement-breakpoint")) await database.query(statement);
}

/** The texts whose cut differs between the current function and 0020's. */
async function cutDiffers(database: Database, texts: string[]) {
  const rows = await database.query<{ t: string }>(
    `select t from jsonb_array_elements_text($1::text::jsonb) t
     where openspec_search_text(t) is distinct from ref0020_search_text(t)`,
    [JSON.stringify(texts)],
  );
  return rows.map((r) => r.t);
}

/** Pieces the cut reacts to: comment marks and their fragments, `_`, blanks of several kinds,
 * multi-byte characters, and runs around the 128-character limit. */
const piece = fc.oneof(
  fc.constantFrom("<!--", "-->", "<!-", "--", "-", ">", "<", "!", "_a", "x_a-", "a", "é", "日本"),
  fc.constantFrom(" ", "\n", "\t", "\r\n", "\u00a0", "\u2028", "\u3000", "😀", ".", "/", "\\&"),
  fc
    .tuple(fc.constantFrom("a", "_a", "é", "😀", "-", "<!--"), fc.integer({ min: 1, max: 300 }))
    .map(([u, n]) => u.repeat(n)),
);
const text = fc.array(piece, { maxLength: 40 }).map((p) => p.join(""));

/** One change per case, its columns filled from the case's files; the trigger computes `search`. */
type Row = {
  name: string;
  proposal?: string;
  spec?: string;
  design?: string;
  tasks?: string;
  deltas?: Record<string, string>;
};

async function insertRows(database: Database, rows: Row[]) {
  const [p] = await database.query<{ id: string }>(
    "insert into projects (name, root_path) values ('p', '/p') returning id",
  );
  for (const [i, r] of rows.entries()) {
    await database.query(
      `insert into openspec_specs (project_id, kind, name, title, path, proposal_content,
         spec_content, design_content, tasks_content, delta_specs)
       values ($1, 'change', $2, $3, $4, $5, $6, $7, $8, $9::text::jsonb)`,
      [
        p?.id,
        `c${i}`,
        r.name,
        `changes/c${i}`,
        r.proposal ?? null,
        r.spec ?? null,
        r.design ?? null,
        r.tasks ?? null,
        JSON.stringify(r.deltas ?? {}),
      ],
    );
  }
  return p?.id ?? "";
}

/** Rows whose stored vector (current function) differs from 0020's vector of the same row. */
async function vectorsDiffer(database: Database, projectId: string) {
  const rows = await database.query<{ title: string }>(
    `select title from openspec_specs r where project_id = $1
       and search::text is distinct from ref0020_specs_search_of(r)::text`,
    [projectId],
  );
  return rows.map((r) => r.title);
}

const hostileRows = (): Row[] => [
  ...adversarialCases(256 * 1024).map((c) => ({
    name: c.name,
    proposal: c.files["proposal.md"],
    spec: c.files["spec.md"],
    tasks: c.files["tasks.md"],
    deltas: c.files["specs/a/spec.md"] ? { "a/spec.md": c.files["specs/a/spec.md"] } : undefined,
  })),
  // Outside-test F6: the parser's quadratic inputs, one character class, blanks, multi-byte text.
  { name: "_a run", proposal: "_a".repeat(MIB / 2) },
  { name: "host-ish run", tasks: "x_a-".repeat(MIB / 4) },
  { name: "unclosed comments", proposal: "<!--".repeat(MIB / 4) },
  { name: "closed then unclosed", design: `a <!-- b --> ${"c <!-- d ".repeat(20_000)}` },
  { name: "1 MiB of letters", spec: "a".repeat(MIB) },
  { name: "1 MiB of blanks", proposal: `zebrafinch${" ".repeat(MIB)}end`, tasks: "\n".repeat(MIB) },
  {
    name: "multi-byte",
    proposal: "日本語のテキスト é😀 ".repeat(30_000),
    deltas: { x: "é".repeat(MIB) },
  },
  { name: "comment over the 200,000 cut", proposal: `${"w ".repeat(99_990)}<!-- --> <!--` },
  { name: `long title ${"t".repeat(200)} <!-- ${"_a".repeat(100)}`, proposal: "x" },
  { name: "empty", proposal: "" },
];

describeEachDb("search vectors unchanged by migration 0022", (db) => {
  it("cuts every generated text exactly as 0020 did", async () => {
    const { database } = db();
    await loadReference(database);
    // The edges of the 128-character run and of the byte-length shortcut, then generated texts.
    const edges = [127, 128, 129, 256].flatMap((n) => ["a".repeat(n), `${"é".repeat(n)}<!--`]);
    expect(await cutDiffers(database, [...edges, "_a".repeat(64), "-->".repeat(43)])).toEqual([]);
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 30 }), async (texts) => {
        expect(await cutDiffers(database, texts)).toEqual([]);
      }),
      { numRuns: 60, seed: 17 },
    );
  }, 120_000);

  it("stores the same vector as 0020 for hostile and ordinary documents", async () => {
    const { database } = db();
    await loadReference(database);
    const projectId = await insertRows(database, hostileRows());
    expect(await vectorsDiffer(database, projectId)).toEqual([]);
  }, 300_000);
});
