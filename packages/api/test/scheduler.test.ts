import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createServices, SyncScheduler } from "../src";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

describeEachDb("SyncScheduler", (db) => {
  it("reconciles stale archived rows in batches, finds folders and deletions the watcher missed", async () => {
    const root = tempRepo();
    const files: Record<string, string> = {};
    for (let i = 0; i < 120; i++)
      Object.assign(
        files,
        Object.fromEntries(
          Object.entries(changeFiles(`old-${i}`)).map(([k, v]) => [
            k.replace("changes/", "changes/archive/2025-01-01-"),
            v,
          ]),
        ),
      );
    writeTree(root, { ...files, ...changeFiles("add-live") });
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");

    // Behind the watcher's back: an archived proposal edited, a new folder, a deleted folder.
    writeFileSync(
      path.join(root, "openspec/changes/archive/2025-01-01-old-7/proposal.md"),
      "# Change: Edited while nobody watched\n\n## Why\nw\n\n## What Changes\n- x\n",
    );
    writeTree(root, changeFiles("add-missed"));
    rmSync(path.join(root, "openspec/changes/archive/2025-01-01-old-9"), { recursive: true });
    const missed: string[] = [];
    const scheduler = new SyncScheduler(project, services.sync, db().database, {
      staleSeconds: 0,
      batchSize: 50,
      concurrency: 10,
      onMissedChange: (p) => missed.push(p),
    });
    await new Promise((r) => setTimeout(r, 5));
    const run = await scheduler.runOnce();
    expect(run.ran).toBe(true);
    expect(run.batches).toBeGreaterThanOrEqual(3); // 120+ rows in batches of 50
    expect(run.summary.failed).toBe(0);
    const list = await services.specs.list({
      projectId: project.id,
      kind: "change",
      limit: 200,
      sort: "name",
    });
    expect(list.items.find((i) => i.name === "old-7")!.title).toBe("Edited while nobody watched");
    expect(list.items.find((i) => i.name === "add-missed")).toBeTruthy();
    expect(list.items.find((i) => i.name === "old-9")).toBeUndefined();
    expect(missed).toContain("changes/add-missed");
    // every live row was touched by the batch
    const stale = await services.sync.staleRows(project.id, new Date(Date.now() - 60_000), 10);
    expect(stale).toHaveLength(0);
  });

  it("a row checked by one pass is due again at the next pass, one period later (not two)", async () => {
    const root = tempRepo();
    writeTree(
      root,
      Object.fromEntries(
        Object.entries(changeFiles("old-1")).map(([k, v]) => [
          k.replace("changes/", "changes/archive/2025-01-01-"),
          v,
        ]),
      ),
    );
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    // A cron with a 2 s period and staleSeconds equal to it, the default relation (30 s / 30 s).
    const scheduler = new SyncScheduler(project, services.sync, db().database, { staleSeconds: 2 });
    const sleepUntil = (t: number) =>
      new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
    const t0 = Date.now();
    await sleepUntil(t0 + 2000); // the startup sync counts as the first check
    const first = await scheduler.runOnce();
    expect(first.summary.total).toBe(1);
    writeFileSync(
      path.join(root, "openspec/changes/archive/2025-01-01-old-1/proposal.md"),
      "# Change: Edited between ticks\n\n## Why\nw\n\n## What Changes\n- x\n",
    );
    await sleepUntil(t0 + 4000); // the next tick, one period after the first
    const second = await scheduler.runOnce();
    expect(second.summary.changed).toBe(1);
    const list = await services.specs.list({
      projectId: project.id,
      kind: "change",
      archived: true,
      limit: 10,
    });
    expect(list.items[0]!.title).toBe("Edited between ticks");
  });

  it("never overlaps with itself: a tick while a run is going joins that run, the next tick runs anew", async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-one"));
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const scheduler = new SyncScheduler(project, services.sync, db().database, { staleSeconds: 0 });
    const [a, b] = await Promise.all([scheduler.runOnce(), scheduler.runOnce()]);
    expect(a).toBe(b); // the same run object: the second tick did not start a second batch
    expect(a.ran).toBe(true);
    // A folder added after that run is found by the next one (the scheduler is not stuck on the
    // first promise).
    mkdirSync(path.join(root, "openspec/changes/add-two"));
    writeFileSync(
      path.join(root, "openspec/changes/add-two/proposal.md"),
      "# Change: Two\n\n## Why\nw\n\n## What Changes\n- x\n",
    );
    const c = await scheduler.runOnce();
    expect(c).not.toBe(a);
    const names = (
      await services.specs.list({ projectId: project.id, kind: "change", limit: 10 })
    ).items.map((i) => i.name);
    expect(names).toContain("add-two");
  });
});
