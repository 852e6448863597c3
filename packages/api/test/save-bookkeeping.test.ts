import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createServices, sha256 } from "../src";
import { rowsOf } from "../src/utils/sql-rows";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

/**
 * A save's last statement (the bookkeeping: new base, stats, the entry's `flushed`) commits
 * without waiting for the WAL flush and beside the folder's fsync (sync/edits.ts, NO_WAL_WAIT).
 * A host crash may thus lose it, or keep it and lose the rename: both states must lose nothing
 * a person typed, and the setting must not outlive the statement.
 */
describeEachDb("a save's bookkeeping", (db) => {
  async function setup() {
    const root = tempRepo();
    writeTree(root, changeFiles("add-keep"));
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const [item] = (await services.specs.list({ projectId: project.id, kind: "change" })).items;
    if (!item) throw new Error("no row");
    const row = await services.sync.getRow(item.id);
    const original = row.proposalContent ?? "";
    const file = path.join(root, "openspec", "changes", "add-keep", "proposal.md");
    const edited = `${original}\nTyped in the browser.\n`;
    const saved = await services.specs.update({
      id: row.id,
      file: "proposal.md",
      content: edited,
      baseHash: row.contentHashes["proposal.md"] ?? null,
      actor: "dana",
    });
    const query = async <T>(text: string, params: unknown[] = []) =>
      rowsOf<T>(await db().database.query(text, params));
    const history = async () => (await services.history.list({ specId: row.id, limit: 50 })).items;
    return { services, row, original, edited, saved, file, query, history };
  }

  it("leaves the session's synchronous_commit as it was", async () => {
    const { query } = await setup();
    // PGlite has one session; on PostgreSQL the pool's connections are asked several times.
    const settings = await Promise.all(
      Array.from({ length: 4 }, () =>
        query<{ synchronous_commit: string }>("show synchronous_commit"),
      ),
    );
    for (const [s] of settings) expect(s?.synchronous_commit).toBe("on");
  });

  it("lost (the row still pending, the entry `writing`): the next sync adopts the file", async () => {
    const { services, row, original, edited, saved, file, query, history } = await setup();
    expect(readFileSync(file, "utf8")).toBe(edited);
    // What a host crash losing the bookkeeping's commit leaves behind.
    const oldBase = row.baseHashes["proposal.md"] ?? null;
    await query(
      `update openspec_specs set base_hashes = jsonb_set(base_hashes, '{proposal.md}', to_jsonb($2::text)),
        pending_files = '["proposal.md"]'::jsonb, stat_fingerprint = null where id = $1`,
      [row.id, oldBase],
    );
    await query(
      "update sync_history set action = 'writing' where spec_id = $1 and action = 'flushed'",
      [row.id],
    );
    await services.sync.syncSpec(row.id, "startup");
    const after = await services.sync.getRow(row.id);
    expect(after.proposalContent).toBe(edited);
    expect(after.baseHashes["proposal.md"]).toBe(saved.hash);
    expect(after.pendingFiles).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(edited);
    // The replaced disk version is still kept by the save's entry.
    const kept = (await history()).filter((h) => h.previousContent?.["proposal.md"] === original);
    expect(kept.length).toBeGreaterThan(0);
  });

  it("kept while the rename was lost: the old file is imported, the saved text kept in history", async () => {
    const { services, row, original, edited, file, history } = await setup();
    // What a host crash keeping the bookkeeping but not the rename leaves behind.
    writeFileSync(file, original);
    await services.sync.syncSpec(row.id, "startup");
    const after = await services.sync.getRow(row.id);
    expect(after.proposalContent).toBe(original);
    expect(after.contentHashes["proposal.md"]).toBe(sha256(original));
    const keeps = (await history()).filter((h) => h.previousContent?.["proposal.md"] === edited);
    expect(keeps).toHaveLength(1);
    expect(keeps[0]).toMatchObject({ direction: "fs_to_db" });
  });
});
