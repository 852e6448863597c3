import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { rowsOf } from "../src/utils/sql-rows";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

/**
 * A person's save leaves the row's search vector NULL and fills it after answering (migration
 * 0014, sync/edits.ts): a search must still find the saved text at once (it computes a missing
 * vector), and a vector left NULL (the server stopped before filling it) is filled by the next
 * process's first full sync (sync/search-fill.ts).
 */
describeEachDb("search after a save", (db, driver) => {
  async function setup() {
    const root = tempRepo();
    const name = `add-search-${Math.random().toString(36).slice(2, 8)}`;
    writeTree(root, changeFiles(name));
    const services = createServices(db().database, { allowedRoots: [path.dirname(root)] });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const [row] = (await services.specs.list({ projectId: project.id, kind: "change" })).items;
    if (!row) throw new Error("no row");
    const vectorNull = async () => {
      const [r] = rowsOf<{ pending: boolean }>(
        await db().database.query(
          "select search is null as pending from openspec_specs where id = $1",
          [row.id],
        ),
      );
      return r?.pending;
    };
    /** Save `word` into proposal.md through the edit path. */
    const save = async (word: string) => {
      const got = await services.specs.get(row.id);
      await services.specs.update({
        id: row.id,
        file: "proposal.md",
        content: `${got.files["proposal.md"] ?? ""}\nThe ${word} paragraph.\n`,
        baseHash: got.contentHashes["proposal.md"] ?? null,
      });
    };
    const search = async (word: string) =>
      (await services.specs.list({ projectId: project.id, search: word })).items.map((i) => i.id);
    return { services, root, project, row, vectorNull, save, search };
  }

  it("finds the saved text at once, and fills the vector after the answer", async () => {
    const { row, vectorNull, save, search } = await setup();
    await save("quokkamarine");
    if (driver === "pglite") {
      // One statement at a time, in order: this read runs before the fill the save queued.
      expect(await vectorNull()).toBe(true);
    }
    expect(await search("quokkamarine")).toEqual([row.id]);
    const filled = async () => {
      for (let i = 0; i < 100 && (await vectorNull()); i++)
        await new Promise((r) => setTimeout(r, 20));
      return !(await vectorNull());
    };
    expect(await filled()).toBe(true);
    // Filled with no search too.
    await save("wombatcrest");
    expect(await filled()).toBe(true);
    expect(await search("wombatcrest")).toEqual([row.id]);
  });

  it("finds a row whose vector was left NULL (the server stopped), and the next process fills it", async () => {
    const { root, project, row, vectorNull, search, services } = await setup();
    const got = await services.specs.get(row.id);
    const word = (got.files["proposal.md"] ?? "").match(/[A-Za-z]{6,}/)?.[0];
    if (!word) throw new Error("no word in proposal.md");
    await db().database.query("update openspec_specs set search = null where id = $1", [row.id]);
    expect(await vectorNull()).toBe(true);
    expect(await search(word)).toContain(row.id);
    expect(await vectorNull()).toBe(true);
    const restarted = createServices(db().database, { allowedRoots: [path.dirname(root)] });
    await restarted.sync.syncProject(project, "startup");
    await restarted.sync.searchFilled();
    expect(await vectorNull()).toBe(false);
    expect(await search(word)).toContain(row.id);
  });

  it("leaves a still-pending vector to the fill: a save soon after a save does not compute it", async () => {
    const { row, vectorNull, save, search } = await setup();
    // As the previous save of this change (or a bulk import) left it, its fill not yet run.
    await db().database.query("update openspec_specs set search = null where id = $1", [row.id]);
    await save("platypusgale");
    // Computed inline before migration 0018 (the trigger could not tell the save from a write
    // that leaves the column alone). The fill waits for saves to pause: not run yet.
    expect(await vectorNull()).toBe(true);
    expect(await search("platypusgale")).toEqual([row.id]);
  });

  it("still computes the vector of other writes, also of a row whose vector is empty", async () => {
    const { row, vectorNull } = await setup();
    const vector = async () => {
      const [r] = rowsOf<{ v: string | null }>(
        await db().database.query("select search::text as v from openspec_specs where id = $1", [
          row.id,
        ]),
      );
      return r?.v;
    };
    // The save's marker is the empty vector: one a row already has is not mistaken for it.
    await db().database.query("update openspec_specs set search = ''::tsvector where id = $1", [
      row.id,
    ]);
    expect(await vector()).toBe("");
    await db().database.query("update openspec_specs set title = title where id = $1", [row.id]);
    expect(await vectorNull()).toBe(false);
    expect(await vector()).not.toBe("");
    // A pending one too (NULL: a write that leaves the column alone computes it, as before).
    await db().database.query("update openspec_specs set search = null where id = $1", [row.id]);
    await db().database.query("update openspec_specs set title = title where id = $1", [row.id]);
    expect(await vectorNull()).toBe(false);
  });
});
