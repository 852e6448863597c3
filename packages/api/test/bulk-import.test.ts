import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { DEFER_SEARCH_MIN } from "../src/services/sync/bulk-load";
import { describeEachDb } from "./helpers/each-db";
import { changeFiles, cleanupTempRepos, MAIN_SPEC, tempRepo, writeTree } from "./helpers/workspace";

afterAll(cleanupTempRepos);

describeEachDb("bulk import", (db) => {
  it("a large import defers the search vectors to a background fill; contents become searchable", async () => {
    const services = createServices(db().database);
    const root = tempRepo();
    const files: Record<string, string> = { "specs/demo/spec.md": MAIN_SPEC };
    for (let i = 0; i < DEFER_SEARCH_MIN; i++) Object.assign(files, changeFiles(`change-${i}`));
    // One change whose only distinctive word is in its tasks, not its name.
    files["changes/change-7/tasks.md"] = "## 1. Work\n\n- [ ] 1.1 Calibrate the zymurgical flux\n";
    writeTree(root, files);
    const project = await services.sync.ensureProject(root);
    const summary = await services.sync.syncProject(project, "startup");
    expect(summary.failed).toBe(0);
    expect(summary.changed).toBe(DEFER_SEARCH_MIN + 1);

    // Every row as the row-by-row path would have written it (defaults for what a kind leaves out).
    const spec = (await services.specs.list({ projectId: project.id, kind: "spec" })).items;
    expect(spec.map((s) => s.name)).toEqual(["demo"]);
    const specRow = await services.sync.getRow(spec[0]?.id ?? "");
    expect(specRow.deltaSpecs).toEqual({});
    expect(specRow.status).toBe("proposing");
    const change7 = (await services.specs.list({ projectId: project.id, kind: "change", search: "change-7" })).items;
    const row7 = await services.sync.getRow(change7.find((c) => c.name === "change-7")?.id ?? "");
    expect([row7.tasksCompleted, row7.tasksTotal]).toEqual([0, 1]);
    expect(Object.keys(row7.deltaSpecs)).toEqual(["demo"]);

    await services.sync.searchFill.idle();
    const [pending] = await db().database.query<{ n: number }>("select count(*)::int as n from openspec_specs where search is null");
    expect(pending?.n).toBe(0);
    const found = (await services.specs.list({ projectId: project.id, kind: "change", search: "zymurgical" })).items;
    expect(found.map((c) => c.name)).toEqual(["change-7"]);
  });

  it("a small import computes the search vector in the same transaction", async () => {
    const services = createServices(db().database);
    const root = tempRepo();
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) Object.assign(files, changeFiles(`small-${i}`));
    files["changes/small-3/tasks.md"] = "## 1. Work\n\n- [ ] 1.1 Polish the quokka\n";
    writeTree(root, files);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const found = (await services.specs.list({ projectId: project.id, kind: "change", search: "quokka" })).items;
    expect(found.map((c) => c.name)).toEqual(["small-3"]);
  });
});
