import { renameSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

const BAD_UTF8 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]);
/** Old enough for a stat fingerprint (outside the racy window). */
const age = (root: string, rel: string) => {
  const t = new Date(Date.now() - 60_000);
  utimesSync(path.join(root, "openspec", rel), t, t);
};

describeEachDb("sync of folders that fail", (db) => {
  async function setup() {
    const services = createServices(db().database);
    const root = tempRepo();
    writeTree(root, { ...changeFiles("good"), ...changeFiles("ret") });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const rowOf = async (name: string) => {
      const { items } = await services.specs.list({ projectId: project.id, kind: "change" });
      return items.find((i) => i.name === name);
    };
    const failures = async () =>
      (await services.history.list({ projectId: project.id, success: false, limit: 200 })).items;
    return { services, root, project, rowOf, failures };
  }

  it("a folder moved out and back with an unreadable file is live again, with its error", async () => {
    const { services, root, project, rowOf } = await setup();
    const dir = path.join(root, "openspec/changes/ret");
    const away = path.join(root, "ret-away");
    renameSync(dir, away);
    await services.sync.syncProject(project, "manual");
    expect(await rowOf("ret")).toBeUndefined(); // soft-deleted
    writeFileSync(path.join(away, "design.md"), BAD_UTF8);
    renameSync(away, dir);
    const summary = await services.sync.syncProject(project, "manual");
    expect(summary.outcomes.find((o) => o.name === "ret")?.error).toMatch(/not valid UTF-8/);
    const row = await rowOf("ret");
    expect(row).toBeDefined();
    const full = await services.sync.getRow(row?.id ?? "");
    expect(full.deletedAt).toBeNull();
    expect(full.syncError).toMatch(/design\.md: .*not valid UTF-8/);
  });

  it("a failing folder that did not change is recorded once; a change that still fails again", async () => {
    const { services, root, project, failures } = await setup();
    writeTree(root, { "changes/ret/design.md": BAD_UTF8 });
    age(root, "changes/ret/design.md");
    age(root, "changes/ret");
    const first = await services.sync.syncProject(project, "manual");
    expect([first.failed, first.changed]).toEqual([1, 1]);
    expect(await failures()).toHaveLength(1);
    for (const trigger of ["manual", "periodic"] as const) {
      const again = await services.sync.syncProject(project, trigger);
      expect([again.failed, again.changed]).toEqual([1, 0]);
      expect(again.outcomes.find((o) => o.name === "ret")?.action).toBe("noop");
    }
    expect(await failures()).toHaveLength(1);
    // The file changes and still fails: one new record, then quiet again.
    writeTree(root, { "changes/ret/design.md": Buffer.concat([BAD_UTF8, BAD_UTF8]) });
    age(root, "changes/ret/design.md");
    expect((await services.sync.syncProject(project, "manual")).changed).toBe(1);
    expect((await services.sync.syncProject(project, "manual")).changed).toBe(0);
    expect(await failures()).toHaveLength(2);
    // Fixed: it syncs and its error is cleared.
    writeTree(root, { "changes/ret/design.md": "# Design\n" });
    const fixed = await services.sync.syncProject(project, "manual");
    expect(fixed.failed).toBe(0);
    const row = await services.sync.getRow(
      fixed.outcomes.find((o) => o.name === "ret")?.specId ?? "",
    );
    expect(row.syncError).toBeNull();
    expect(row.designContent).toBe("# Design\n");
  });
});
