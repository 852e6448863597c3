import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

/**
 * The work queue hands out the oldest change first, ties by name. Folders found by one scan are
 * equally old: before, each got the time its own insert committed, so two changes of one sync came
 * out in whichever order the parallel inserts finished (a user's clone once saw add-b before
 * add-a).
 */
describeEachDb("rows created by one sync pass share one creation time", (db) => {
  for (const count of [6, 120]) {
    const path = count > 20 ? "the batch path" : "the one-folder path";
    it(`${count} new changes (${path}): one created_at, queue by name`, async () => {
      const s = createServices(db().database);
      const files: Record<string, string> = {};
      for (let i = 0; i < count; i++) {
        const name = `c-${1000 + i}`;
        const change = changeFiles(name);
        // Each its own capability: no two overlap, so the queue hands out each in turn.
        const delta = `changes/${name}/specs/demo/spec.md`;
        change[`changes/${name}/specs/cap-${i}/spec.md`] = change[delta] ?? "";
        delete change[delta];
        Object.assign(files, change);
      }
      const root = tempRepo();
      writeTree(root, files);
      const project = await s.sync.ensureProject(root);
      expect((await s.sync.syncProject(project, "startup")).failed).toBe(0);
      const rows = await db().database.query<{ name: string; created: string }>(
        "select name, created_at::text as created from openspec_specs where project_id = $1",
        [project.id],
      );
      expect(rows).toHaveLength(count);
      expect(new Set(rows.map((r) => r.created)).size).toBe(1);

      // Every row approved (a list call pages at 50).
      await db().database.query(
        "update openspec_specs set status = 'approved' where project_id = $1",
        [project.id],
      );
      const picked: string[] = [];
      for (let i = 0; i < 3; i++) {
        const next = await s.workQueue.next({ projectId: project.id, owner: `a${i}`, claim: true });
        picked.push(next.change?.name ?? "none");
      }
      expect(picked).toEqual(["c-1000", "c-1001", "c-1002"]);
    });
  }
});
