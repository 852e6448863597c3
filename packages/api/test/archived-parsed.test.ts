// An archived change's `parsed` is not stored (issue #17): import, one-folder sync and save write
// null for it, a move in or out of the archive nulls or restores it, and every API that hands
// out the row derives it on read, giving exactly (key order too) what the stored jsonb gave.
import { renameSync } from "node:fs";
import path from "node:path";
import type { Database } from "@specsync/db";
import { afterAll, describe, expect, it } from "vitest";
import { createCaller, createServices } from "../src";
import { filesOfRow } from "../src/services/spec-files";
import {
  derivedOnRead,
  parsedOnRead,
  type RowWithParsed,
} from "../src/services/sync/parsed-on-read";
import { storedParsed } from "../src/services/sync/row-values";
import { deriveFields, unparsedFields } from "../src/utils/openspec/derive";
import { describeEachDb } from "../testing/each-db";
import { connectMcp } from "../testing/mcp-client";
import {
  changeFiles,
  cleanupTempRepos,
  DELTA,
  MAIN_SPEC,
  PROPOSAL,
  tempRepo,
  writeTree,
} from "../testing/workspace";

afterAll(cleanupTempRepos);

const ARCHIVE = "changes/archive";

/** Archived folders of every shape a derive handles: full, no proposal, bad YAML, empty deltas. */
function archivedFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < 4; i++)
    for (const [f, c] of Object.entries(changeFiles(`old-${i}`, `Old «${i}» "q"`)))
      files[f.replace("changes/", `${ARCHIVE}/2026-01-0${i + 1}-`)] = c;
  files[`${ARCHIVE}/2026-02-01-no-proposal/tasks.md`] = "- [x] 1.1 Done\n";
  files[`${ARCHIVE}/2026-02-02-bad-yaml/proposal.md`] = "## Why\n\nX.\n\n## What Changes\n\n- Y\n";
  files[`${ARCHIVE}/2026-02-02-bad-yaml/.openspec.yaml`] = "schema: [unclosed\n";
  files[`${ARCHIVE}/2026-02-03-bad-delta/proposal.md`] = "## Why\n\nX.\n\n## What Changes\n\n- Y\n";
  files[`${ARCHIVE}/2026-02-03-bad-delta/specs/demo/spec.md`] = "no headers at all\n";
  // Over PARSE_INLINE_MAX: its parse on read runs on the parse pool.
  const big = Array.from({ length: 900 }, (_, i) => DELTA.replace(/Demo behaviour/g, `Big ${i}`));
  files[`${ARCHIVE}/2026-02-04-big/proposal.md`] = PROPOSAL("Big");
  files[`${ARCHIVE}/2026-02-04-big/specs/demo/spec.md`] = big
    .join("\n")
    .replace(/## ADDED Requirements\n/g, "")
    .replace(/^/, "## ADDED Requirements\n");
  return files;
}

type Row = {
  id: string;
  path: string;
  kind: "change" | "spec";
  archived: boolean;
  parsed: unknown;
};

const rowsOf = (database: Database, projectId: string) =>
  database.query<Row>(
    "select id, path, kind, archived, parsed from openspec_specs where project_id = $1 order by path",
    [projectId],
  );

/** What the stored document was: the derivation, through jsonb (its key order and all). */
async function asStored(database: Database, id: string): Promise<string> {
  const [row] = await database.query<Record<string, unknown>>(
    "select * from openspec_specs where id = $1",
    [id],
  );
  const r = row as Parameters<typeof filesOfRow>[0] & { kind: "change"; name: string };
  const derived = deriveFields(r.kind, r.name, filesOfRow(camel(r))).parsed;
  const [back] = await database.query<{ v: unknown }>("select $1::jsonb as v", [
    JSON.stringify(derived),
  ]);
  return JSON.stringify(back?.v);
}

/** A raw row's content columns under the names filesOfRow reads. */
function camel(r: Record<string, unknown>) {
  return {
    kind: r.kind,
    specContent: r.spec_content,
    proposalContent: r.proposal_content,
    tasksContent: r.tasks_content,
    designContent: r.design_content,
    metaContent: r.meta_content,
    deltaSpecs: r.delta_specs,
    bomFiles: r.bom_files,
  } as Parameters<typeof filesOfRow>[0];
}

describeEachDb("archived changes: parsed not stored, derived on read", (db) => {
  it("import, one-folder sync, save and moves store null for archived changes only; the API answers as before", async () => {
    const { database } = db();
    const services = createServices(database);
    const root = tempRepo();
    writeTree(root, {
      ...changeFiles("active-a"),
      ...changeFiles("to-archive"),
      "specs/demo/spec.md": MAIN_SPEC,
      ...archivedFiles(),
    });
    const project = await services.sync.ensureProject(root);
    const summary = await services.sync.syncProject(project, "startup");
    expect(summary.failed).toBe(0);

    // Bulk import: archived changes null, the others stored.
    const rows = await rowsOf(database, project.id);
    expect(rows.filter((r) => r.archived).length).toBe(8);
    for (const r of rows) expect([r.path, r.parsed === null]).toEqual([r.path, r.archived]);

    // specs.get (and whatever returns the row) gives the derivation exactly as jsonb kept it.
    const archived = rows.filter((r) => r.archived);
    for (const r of archived) {
      const got = await services.specs.get(r.id);
      expect([r.path, JSON.stringify(got.parsed)]).toEqual([
        r.path,
        await asStored(database, r.id),
      ]);
    }
    const one = archived[0];
    if (!one) throw new Error("no archived row");
    const prioritised = await services.specs.setPriority({ id: one.id, priority: "high" });
    expect(JSON.stringify(prioritised.parsed)).toBe(await asStored(database, one.id));
    expect(JSON.stringify((await services.sync.getRowWithParsed(one.id)).parsed)).toBe(
      await asStored(database, one.id),
    );

    // One-folder sync of a new archived folder, then of a changed one.
    writeTree(root, { [`${ARCHIVE}/2026-03-01-late/proposal.md`]: "## Why\n\nL.\n" });
    await services.sync.syncFolder(project, `${ARCHIVE}/2026-03-01-late`, "file_watcher");
    writeTree(root, { [`${ARCHIVE}/2026-01-01-old-0/tasks.md`]: "- [ ] 9.9 More\n" });
    await services.sync.syncFolder(project, `${ARCHIVE}/2026-01-01-old-0`, "file_watcher");
    const late = (await rowsOf(database, project.id)).filter((r) => r.path.includes("-late"));
    expect(late.map((r) => r.parsed)).toEqual([null]);
    for (const r of await rowsOf(database, project.id))
      expect([r.path, r.parsed === null]).toEqual([r.path, r.archived]);

    // A save into an archived change.
    const saved = await services.specs.get(one.id);
    await services.specs.update({
      id: one.id,
      file: "tasks.md",
      content: "- [x] 1.1 Saved\n",
      baseHash: saved.contentHashes["tasks.md"] ?? null,
    });
    const [afterSave] = await database.query<Row>("select * from openspec_specs where id = $1", [
      one.id,
    ]);
    expect(afterSave?.parsed).toBeNull();
    expect(JSON.stringify((await services.specs.get(one.id)).parsed)).toBe(
      await asStored(database, one.id),
    );

    // Moves: active → archive nulls it; archive → active stores it again.
    const dir = path.join(root, "openspec");
    renameSync(
      path.join(dir, "changes/to-archive"),
      path.join(dir, ARCHIVE, "2026-04-01-to-archive"),
    );
    await services.sync.syncProject(project, "manual");
    renameSync(path.join(dir, ARCHIVE, "2026-01-02-old-1"), path.join(dir, "changes/old-1"));
    await services.sync.syncProject(project, "manual");
    const moved = await rowsOf(database, project.id);
    const byPath = (p: string) => moved.find((r) => r.path === p);
    expect(byPath(`${ARCHIVE}/2026-04-01-to-archive`)?.parsed).toBeNull();
    const back = byPath("changes/old-1");
    expect(back?.parsed).not.toBeNull();
    expect(JSON.stringify(back?.parsed)).toBe(await asStored(database, back?.id ?? ""));
    for (const r of moved) expect([r.path, r.parsed === null]).toEqual([r.path, r.archived]);
  }, 120_000);
});

describeEachDb("archived changes: parsed derived only where a row is handed out", (db) => {
  it("routers and MCP tools that hand out a row give the derivation; the other readers derive none", async () => {
    const { database } = db();
    const root = tempRepo();
    const old = Object.entries(changeFiles("old", "Old «q»")).map(
      ([f, c]) => [f.replace("changes/", `${ARCHIVE}/2026-01-01-`), c] as const,
    );
    writeTree(root, {
      ...changeFiles("to-archive"),
      "specs/demo/spec.md": MAIN_SPEC,
      ...Object.fromEntries(old),
    });
    const services = createServices(database, { allowedRoots: [path.dirname(root)] });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const caller = createCaller({
      services,
      requiredToken: null,
      presentedToken: null,
      actor: "tester",
    });
    const mcp = await connectMcp(services, project.id);
    const rows = await rowsOf(database, project.id);
    const id = rows.find((r) => r.path === `${ARCHIVE}/2026-01-01-old`)?.id ?? "";
    expect(rows.find((r) => r.id === id)?.parsed).toBeNull();

    // Readers that hand no row out: not one derive (each used to cost a parse of the folder).
    const start = derivedOnRead();
    const tasks = (await services.sync.getRow(id)).contentHashes["tasks.md"] ?? null;
    await caller.sync.specStatus({ specId: id });
    await services.status.conflicts(project.id);
    await services.status.forceSync({ specId: id });
    await caller.specs.previewMerge({
      id,
      file: "tasks.md",
      content: "- [ ] x\n",
      baseHash: tasks,
    });
    await caller.specs.discardDraft({
      id,
      file: "tasks.md",
      content: "- [ ] kept\n",
      baseHash: tasks,
    });
    expect(await caller.changes.bulkUpdate({ ids: [id], priority: "low" })).toMatchObject({
      updated: 1,
    });
    expect((await services.specs.getWithoutParsed(id)).files["tasks.md"]).toBeDefined();
    for (const [tool, args] of [
      ["get_change", { change: id }],
      ["toggle_task", { change: id, taskId: "1.1", done: true }],
    ] as const) {
      const answer = await mcp.call(tool, args);
      expect([tool, answer.isError, answer.text]).toEqual([tool, false, answer.text]);
    }
    expect(derivedOnRead() - start).toBe(0);

    // Every procedure that hands the row out: the derivation, as the stored jsonb gave it.
    const now = await asStored(database, id);
    const handedOut: [string, () => Promise<{ parsed: unknown }>][] = [
      ["specs.get", () => caller.specs.get({ id })],
      ["specs.setPriority", () => caller.specs.setPriority({ id, priority: "high" })],
      ["specs.setPriority unchanged", () => caller.specs.setPriority({ id, priority: "high" })],
      ["specs.setStatus unchanged", () => services.specs.setStatus({ id, status: "archived" })],
      ["sync.getRowWithParsed", () => services.sync.getRowWithParsed(id)],
    ];
    for (const [name, call] of handedOut) {
      const before = derivedOnRead();
      expect([name, JSON.stringify((await call()).parsed)]).toEqual([name, now]);
      expect([name, derivedOnRead() - before]).toEqual([name, 1]);
    }
    // Archiving through setStatus hands out the now archived row.
    const active = rows.find((r) => r.path === "changes/to-archive")?.id ?? "";
    const archivedNow = await caller.specs.setStatus({ id: active, status: "archived" });
    expect(archivedNow.archived).toBe(true);
    expect(JSON.stringify(archivedNow.parsed)).toBe(await asStored(database, active));
    const [raw] = await database.query<Row>("select parsed from openspec_specs where id = $1", [
      active,
    ]);
    expect(raw?.parsed).toBeNull();
    await mcp.close();
  }, 120_000);
});

describe("storedParsed and parsedOnRead (pure)", () => {
  const archivedRef = { kind: "change" as const, archived: true };
  it("keeps what a parse on read cannot give: a failed or timed-out parse's error", () => {
    const failed = unparsedFields("x", "could not parse the files: worker timed out");
    expect(storedParsed(archivedRef, failed, failed.parsed)).toEqual(failed.parsed);
    const fine = deriveFields("change", "x", changeFiles("x", "X") as never);
    const noProposal = deriveFields("change", "x", {});
    expect(storedParsed(archivedRef, fine, fine.parsed)).toBeNull();
    expect(storedParsed(archivedRef, noProposal, noProposal.parsed)).toBeNull();
    expect(storedParsed({ kind: "change", archived: false }, fine, fine.parsed)).toBe(fine.parsed);
  });

  it("leaves a row never read (its first read failed) without parsed, as before", () => {
    const row: RowWithParsed = {
      kind: "change",
      name: "x",
      archived: true,
      parsed: null,
      parseError: null,
      contentHashes: {},
      specContent: null,
      proposalContent: null,
      tasksContent: null,
      designContent: null,
      metaContent: null,
      deltaSpecs: {},
      bomFiles: [],
    };
    expect(parsedOnRead(row)).toBeNull();
    expect(parsedOnRead({ ...row, parseError: "proposal.md: none" })).toEqual(
      deriveFields("change", "x", {}).parsed,
    );
  });
});
