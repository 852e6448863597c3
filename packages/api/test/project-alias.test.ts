import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

/**
 * The CLI now names a project by its real folder. A database that registered the project through
 * a symlink (as every earlier version did) must keep one project: the row moves to the real path
 * with its changes, instead of a second row syncing the same files and the first one's history
 * left behind.
 */
describeEachDb("a project registered through a symlink", (db) => {
  it("is the same project when named by its real folder", async () => {
    const s = createServices(db().database);
    const real = tempRepo();
    writeTree(real, changeFiles("add-alias"));
    const links = mkdtempSync(path.join(tmpdir(), "specsync-alias-"));
    const link = path.join(links, "repo-link");
    symlinkSync(real, link);
    const old = await s.sync.ensureProject(link);
    expect((await s.sync.syncProject(old, "startup")).failed).toBe(0);

    const now = await s.sync.ensureProject(real);
    expect(now.id).toBe(old.id);
    expect(now.rootPath).toBe(path.resolve(real));
    const rows = await db().database.query<{ n: number }>(
      "select count(*)::int as n from projects",
    );
    expect(rows[0]?.n).toBe(1);
    expect((await s.sync.syncProject(now, "startup")).failed).toBe(0);
    const names = await db().database.query<{ name: string }>(
      "select name from openspec_specs where project_id = $1 and deleted_at is null",
      [now.id],
    );
    expect(names.map((r) => r.name)).toEqual(["add-alias"]);
  });

  it("does not take over another folder's project", async () => {
    const s = createServices(db().database);
    const a = tempRepo();
    const b = tempRepo();
    mkdirSync(path.join(b, "openspec"), { recursive: true });
    const pa = await s.sync.ensureProject(a);
    const pb = await s.sync.ensureProject(b);
    expect(pb.id).not.toBe(pa.id);
    expect((await s.sync.ensureProject(a)).id).toBe(pa.id);
  });
});
