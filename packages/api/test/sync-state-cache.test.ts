import { readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createDb, type Database } from "@specsync/db";
import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { stateGeneration, syncStateRows } from "../src/services/sync/store";
import type { SyncContext } from "../src/services/sync/types";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

/** Every timestamp an hour old, as on a workspace nobody touched: fingerprints get stored. */
function age(dir: string) {
  const old = new Date(Date.now() - 3600_000);
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) age(path.join(dir, e.name));
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isFile()) utimesSync(path.join(dir, e.name), old, old);
  utimesSync(dir, old, old);
}

describeEachDb("sync state read between reconciles", (db) => {
  /**
   * "Another process": on PostgreSQL its own connections (a second pool on the same database),
   * on PGlite (one process by its data-dir lock) a second services instance on the same handle.
   */
  async function otherDatabase(): Promise<{ database: Database; close: () => Promise<void> }> {
    const { url, database } = db();
    if (!url) return { database, close: async () => {} };
    const other = await createDb({ url, maxConnections: 2 });
    return { database: other, close: () => other.close() };
  }

  /** A workspace imported, aged, and reconciled until this process's state is current. */
  async function warm() {
    const services = createServices(db().database);
    const root = tempRepo();
    writeTree(root, { ...changeFiles("add-a"), ...changeFiles("add-b"), ...changeFiles("add-c") });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    age(path.join(root, "openspec"));
    await services.sync.syncProject(project, "periodic"); // stores the fingerprints
    expect((await services.sync.syncProject(project, "periodic")).changed).toBe(0);
    const rowOf = async (name: string) => {
      const [r] = await db().database.query<{
        id: string;
        sync_error: string | null;
        deleted_at: string | null;
        stat_fingerprint: string | null;
      }>(
        `select id, sync_error, deleted_at, stat_fingerprint from openspec_specs
         where project_id = $1 and path = $2`,
        [project.id, `changes/${name}`],
      );
      return r;
    };
    for (const n of ["add-a", "add-b", "add-c"])
      expect((await rowOf(n))?.stat_fingerprint, n).toBeTruthy();
    return { services, root, project, rowOf };
  }

  it("the sync-state generation moves with each write of a row's sync state, by anyone, and only then", async () => {
    const { services, project, rowOf } = await warm();
    const ctx = { database: db().database } as unknown as SyncContext;
    const gen = () => stateGeneration(ctx, project.id);
    const g0 = await gen();
    expect(g0).not.toBeNull();
    // Read with the rows, in the same statement.
    expect((await syncStateRows(ctx, project.id)).generation).toBe(g0);
    const other = await otherDatabase();
    try {
      const a = await rowOf("add-a");
      // A no-op reconcile (it stamps the project) and columns a no-op does not read.
      expect((await services.sync.syncProject(project, "periodic")).changed).toBe(0);
      await other.database.query(
        "update openspec_specs set updated_at = now(), priority = 'high' where id = $1",
        [a?.id],
      );
      expect(await gen()).toBe(g0);
      const moves = [
        "update openspec_specs set sync_error = 'x' where id = $1",
        "update openspec_specs set deleted_at = now() where id = $1",
        "update openspec_specs set stat_fingerprint = null where id = $1",
        "update openspec_specs set pending_files = '[\"tasks.md\"]' where id = $1",
        "delete from openspec_specs where id = $1",
      ];
      let last = g0;
      for (const sql of moves) {
        await other.database.query(sql, [a?.id]);
        const now = await gen();
        expect(now, sql).not.toBe(last);
        last = now;
      }
    } finally {
      await other.close();
    }
  });

  it("another process's writes reach this process's next no-op: failures, deletions, rows gone", async () => {
    const { services, root, project, rowOf } = await warm();
    const other = await otherDatabase();
    try {
      const [a, b, c] = [await rowOf("add-a"), await rowOf("add-b"), await rowOf("add-c")];
      // A failure to retry, a row soft-deleted while its folder is there, a row gone entirely:
      // each with the folder's stats unchanged, so a stale cached fingerprint would say "no-op".
      await other.database.query("update openspec_specs set sync_error = 'x' where id = $1", [
        a?.id,
      ]);
      await other.database.query("update openspec_specs set deleted_at = now() where id = $1", [
        b?.id,
      ]);
      const out = await services.sync.syncProject(project, "periodic");
      expect(out.failed).toBe(0);
      expect((await rowOf("add-a"))?.sync_error).toBeNull();
      expect((await rowOf("add-b"))?.deleted_at).toBeNull();
      // Alone (with the others, the row count changes anyway).
      await other.database.query("delete from openspec_specs where id = $1", [c?.id]);
      expect((await services.sync.syncProject(project, "periodic")).failed).toBe(0);
      expect(await rowOf("add-c")).toBeTruthy();
      // Then quiet again; an edit on disk (aged: same stat window as before) is still seen.
      expect((await services.sync.syncProject(project, "periodic")).changed).toBe(0);
      const proposal = path.join(root, "openspec/changes/add-b/proposal.md");
      writeFileSync(proposal, readFileSync(proposal, "utf8").replace("matters", "mattered more"));
      age(path.join(root, "openspec"));
      const edited = await services.sync.syncProject(project, "periodic");
      expect(edited.outcomes.filter((o) => o.action !== "noop").map((o) => o.name)).toEqual([
        "add-b",
      ]);
    } finally {
      await other.close();
    }
  });

  it("a second services instance's import and deletion are seen by the first's next no-op", async () => {
    const { services, root, project, rowOf } = await warm();
    const other = await otherDatabase();
    try {
      const second = createServices(other.database);
      writeTree(root, changeFiles("add-d"));
      age(path.join(root, "openspec"));
      await second.sync.syncFolder(project, "changes/add-d", "file_watcher");
      const d = await rowOf("add-d");
      expect(d).toBeTruthy();
      const out = await services.sync.syncProject(project, "periodic");
      // The row the other instance made is known: not imported twice, nothing changed.
      expect([out.total, out.changed]).toEqual([4, 0]);
      expect(out.outcomes.find((o) => o.name === "add-d")?.specId).toBe(d?.id);
      await other.database.query("delete from openspec_specs where id = $1", [d?.id]);
      const again = await services.sync.syncProject(project, "periodic");
      expect(again.outcomes.find((o) => o.name === "add-d")?.action).toBe("created");
    } finally {
      await other.close();
    }
  });
});
