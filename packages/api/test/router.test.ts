import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { type Context, createCaller, createServices } from "../src";
import { describeEachDb } from "../testing/each-db";
import {
  changeFiles,
  cleanupTempRepos,
  MAIN_SPEC,
  tempRepo,
  writeTree,
} from "../testing/workspace";

afterAll(cleanupTempRepos);

describeEachDb("tRPC routers through createCaller", (db) => {
  async function setup(token: string | null = null) {
    const root = tempRepo();
    writeTree(root, {
      ...changeFiles("add-alpha", "Alpha feature"),
      ...changeFiles("add-beta", "Beta search target"),
      ...changeFiles("fix-gamma", "Gamma fix"),
      "specs/demo/spec.md": MAIN_SPEC,
    });
    writeTree(root, { "changes/fix-gamma/tasks.md": "- [x] 1.1 a\n- [x] 1.2 b\n" });
    const services = createServices(db().database, { allowedRoots: [path.dirname(root)] });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const ctx = (over: Partial<Context> = {}): Context => ({
      services,
      requiredToken: token,
      presentedToken: null,
      actor: "tester",
      ...over,
    });
    const caller = createCaller(ctx({ presentedToken: token }));
    const { items } = await caller.specs.list({
      projectId: project.id,
      kind: "change",
      sort: "name",
    });
    const id = (name: string) => items.find((i) => i.name === name)!.id;
    return { root, services, project, caller, ctx, id, items };
  }

  it("specs.list filters, sorts, searches, paginates and counts facets", async () => {
    const { caller, project, id } = await setup();
    await caller.specs.setStatus({ id: id("add-alpha"), status: "approved" });
    await caller.specs.setPriority({ id: id("add-beta"), priority: "critical" });
    const byName = await caller.specs.list({ projectId: project.id, kind: "change", sort: "name" });
    expect(byName.items.map((i) => i.name)).toEqual(["add-alpha", "add-beta", "fix-gamma"]);
    const byPriority = await caller.specs.list({
      projectId: project.id,
      kind: "change",
      sort: "priority",
    });
    expect(byPriority.items[0]!.name).toBe("add-beta");
    expect(
      (await caller.specs.list({ projectId: project.id, status: ["approved"] })).items.map(
        (i) => i.name,
      ),
    ).toEqual(["add-alpha"]);
    expect(
      (await caller.specs.list({ projectId: project.id, minCompletion: 80 })).items.map(
        (i) => i.name,
      ),
    ).toEqual(["fix-gamma"]);
    expect(
      (await caller.specs.list({ projectId: project.id, search: "search target" })).items.map(
        (i) => i.name,
      ),
    ).toEqual(["add-beta"]);
    expect(
      (await caller.specs.list({ projectId: project.id, kind: "spec" })).items.map((i) => i.name),
    ).toEqual(["demo"]);
    const page1 = await caller.specs.list({
      projectId: project.id,
      kind: "change",
      sort: "name",
      limit: 2,
      withFacets: true,
    });
    expect(page1.items).toHaveLength(2);
    expect(page1.facets).toMatchObject({
      total: 3,
      kind: { change: 3 },
      status: { approved: 1, in_progress: 1, applied: 1 },
      priority: { critical: 1, none: 2 },
    });
    // The total is what matches every filter; the per-status counts still show each choice.
    const approved = await caller.specs.list({
      projectId: project.id,
      kind: "change",
      status: ["approved"],
      withFacets: true,
    });
    expect(approved.facets).toMatchObject({
      total: 1,
      status: { approved: 1, in_progress: 1, applied: 1 },
    });
    expect(
      await caller.specs.lookup({ project: project.name, kind: "change", name: "add-beta" }),
    ).toMatchObject({ id: id("add-beta") });
    await expect(
      caller.specs.lookup({ project: project.name, kind: "change", name: "nope" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    const page2 = await caller.specs.list({
      projectId: project.id,
      kind: "change",
      sort: "name",
      limit: 2,
      cursor: page1.nextCursor,
    });
    expect(page2.items.map((i) => i.name)).toEqual(["fix-gamma"]);
    expect(page2.nextCursor).toBeNull();
  });

  it("specs.get returns raw files and parsed structure with stable task ids", async () => {
    const { caller, id } = await setup();
    const got = await caller.specs.get({ id: id("add-alpha") });
    expect(got.files["proposal.md"]).toContain("# Change: Alpha feature");
    expect(got.tasks.map((t) => t.id)).toEqual(["1.1", "1.2", "1.3"]);
    expect(got.parsed?.show).toMatchObject({ id: "add-alpha", deltaCount: 1 });
    expect(got.history.count).toBe(1);
  });

  it("specs.update writes DB then file; stale baseHash → CONFLICT with current content; nothing written", async () => {
    const { caller, root, id } = await setup();
    const got = await caller.specs.get({ id: id("add-alpha") });
    const res = await caller.specs.update({
      id: got.id,
      file: "proposal.md",
      content: `${got.files["proposal.md"]!}\nMore.\n`,
      baseHash: got.contentHashes["proposal.md"]!,
    });
    expect(readFileSync(path.join(root, "openspec/changes/add-alpha/proposal.md"), "utf8")).toMatch(
      /More\.\n$/,
    );
    const stale = caller.specs.update({
      id: got.id,
      file: "proposal.md",
      content: "lost?",
      baseHash: got.contentHashes["proposal.md"]!,
    });
    await expect(stale).rejects.toMatchObject({ code: "CONFLICT" });
    const err = await stale.catch((e) => e);
    expect(err.cause.details.currentHash).toBe(res.hash);
    expect(
      readFileSync(path.join(root, "openspec/changes/add-alpha/proposal.md"), "utf8"),
    ).not.toContain("lost?");
  });

  it("security: token required when configured, inputs validated, sizes and paths enforced, nothing written", async () => {
    const token = "s3cret-token-0123456789";
    const { ctx, id, root } = await setup(token);
    const anon = createCaller(ctx({ presentedToken: null }));
    await expect(anon.specs.list({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(
      createCaller(ctx({ presentedToken: "wrong" })).specs.list({}),
    ).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const caller = createCaller(ctx({ presentedToken: token }));
    const alpha = await caller.specs.get({ id: id("add-alpha") });
    const before = readdirSync(path.join(root, "openspec/changes/add-alpha")).sort();
    const base = alpha.contentHashes["proposal.md"]!;
    await expect(caller.specs.get({ id: "not-a-uuid" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(
      caller.specs.update({
        id: alpha.id,
        file: "../../../etc/passwd",
        content: "x",
        baseHash: base,
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      caller.specs.update({ id: alpha.id, file: "/etc/passwd.md", content: "x", baseHash: base }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      caller.specs.update({ id: alpha.id, file: "proposal.md", content: "a\0b", baseHash: base }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      caller.specs.update({
        id: alpha.id,
        file: "proposal.md",
        content: "x".repeat(1024 * 1024 + 1),
        baseHash: base,
      }),
    ).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    await expect(
      caller.specs.update({
        id: "00000000-0000-4000-8000-000000000000",
        file: "proposal.md",
        content: "x",
        baseHash: base,
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(readdirSync(path.join(root, "openspec/changes/add-alpha")).sort()).toEqual(before);
    expect(readFileSync(path.join(root, "openspec/changes/add-alpha/proposal.md"), "utf8")).toBe(
      alpha.files["proposal.md"],
    );
    // errors never leak stack traces
    const err = await caller.specs.get({ id: "not-a-uuid" }).catch((e) => e);
    expect(JSON.stringify(err.shape ?? {})).not.toContain("at ");
  });

  it("toggleTask, setStatus (any workflow status; bad input refused), next", async () => {
    const { caller, id, root, project } = await setup();
    const got = await caller.specs.get({ id: id("add-beta") });
    await caller.specs.toggleTask({
      id: got.id,
      taskId: "1.1",
      done: true,
      baseHash: got.contentHashes["tasks.md"]!,
    });
    expect(readFileSync(path.join(root, "openspec/changes/add-beta/tasks.md"), "utf8")).toContain(
      "- [x] 1.1 First task",
    );
    await expect(
      caller.specs.toggleTask({
        id: got.id,
        taskId: "1.1",
        done: false,
        baseHash: got.contentHashes["tasks.md"]!,
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(
      caller.specs.setStatus({ id: got.id, status: "done" as never }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const s = await caller.specs.setStatus({ id: got.id, status: "approved" });
    expect(s.statusChangedBy).toBe("tester");
    await caller.specs.setPriority({ id: got.id, priority: "high" });
    // Lifecycle edits live only in the database: their history rows are their only trace.
    const lifecycle = (await caller.sync.history({ specId: got.id })).items
      .filter((h) => h.lifecycle)
      .map((h) => [h.action, h.lifecycle, h.actor]);
    expect(lifecycle).toEqual([
      ["priority_changed", { field: "priority", from: "none", to: "high" }, "tester"],
      ["status_changed", { field: "status", from: "in_progress", to: "approved" }, "tester"],
    ]);
    expect((await caller.specs.next({ projectId: project.id }))?.name).toBe("add-beta");
  });

  it("sync router: forceSync, status, history pagination and filters, conflicts, restore", async () => {
    const { caller, id, root, project, services } = await setup();
    writeFileSync(
      path.join(root, "openspec/changes/add-alpha/proposal.md"),
      "# Change: Alpha v2\n\n## Why\nw\n\n## What Changes\n- x\n",
    );
    const forced = await caller.sync.forceSync({ projectId: project.id });
    expect(forced).toMatchObject({ failed: 0, changed: 1 });
    expect((await caller.sync.forceSync({ specId: id("add-alpha") })).changed).toBe(0);
    const status = await caller.sync.status();
    expect(status.totals.total).toBeGreaterThanOrEqual(4);
    const one = await caller.sync.specStatus({ specId: id("add-alpha") });
    expect(one.files.every((f) => f.state === "clean")).toBe(true);
    const h1 = await caller.sync.history({ projectId: project.id, limit: 2 });
    expect(h1.items).toHaveLength(2);
    const h2 = await caller.sync.history({
      projectId: project.id,
      limit: 2,
      cursor: h1.nextCursor,
    });
    expect(h2.items[0]!.id).toBeLessThan(h1.items[1]!.id);
    expect(
      (await caller.sync.history({ projectId: project.id, trigger: "manual" })).items.every(
        (h) => h.trigger === "manual",
      ),
    ).toBe(true);
    // restore the version the manual sync replaced
    const manual = (await caller.sync.history({ specId: id("add-alpha"), trigger: "manual" }))
      .items;
    // The second forceSync found nothing to do: it still leaves a "checked" entry, so a manual sync
    // is never invisible.
    expect(manual.map((h) => h.action)).toEqual(["checked", "updated"]);
    const replaced = manual[1]!;
    await caller.sync.restore({ historyId: replaced.id });
    expect(
      readFileSync(path.join(root, "openspec/changes/add-alpha/proposal.md"), "utf8"),
    ).toContain("# Change: Alpha feature");
    expect(
      (await caller.sync.history({ specId: id("add-alpha"), trigger: "restore" })).items,
    ).toHaveLength(1);
    expect(await caller.sync.conflicts({ projectId: project.id })).toEqual([]);
    expect(services).toBeTruthy();
  });

  it("projects router: add checks existence, OpenSpec root and allowed roots", async () => {
    const { caller, ctx } = await setup();
    const other = tempRepo();
    const added = await caller.projects.add({ path: other });
    expect(added.rootPath).toBe(other);
    // Inside the allowed root a missing folder is a plain error; outside, existence is nobody's
    // business.
    await expect(
      caller.projects.add({ path: path.join(path.dirname(other), "not-here") }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller.projects.add({ path: "/definitely/not/here" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const limited = createCaller({
      ...ctx(),
      services: createServices(db().database, { allowedRoots: ["/nonexistent-root"] }),
    });
    await expect(limited.projects.add({ path: other })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const listed = await caller.projects.list();
    expect(listed.find((p) => p.rootPath === other)).toBeTruthy();
    await caller.projects.remove({ id: added.id, deleteRows: true });
    expect((await caller.projects.list()).find((p) => p.rootPath === other)).toBeUndefined();
  });
});

describeEachDb("concurrent edits", (db) => {
  it("50 concurrent specs.update on one file from different users: exactly one wins, the rest get CONFLICT, nothing lost", async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-race"));
    const services = createServices(db().database);
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const id = (await services.specs.list({ projectId: project.id, kind: "change" })).items[0]!.id;
    const got = await services.specs.get(id);
    const base = got.contentHashes["proposal.md"]!;
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        createCaller({
          services,
          requiredToken: null,
          presentedToken: null,
          actor: `user-${i}`,
        }).specs.update({
          id,
          file: "proposal.md",
          content: `${got.files["proposal.md"]}\nEdit by user ${i}.\n`,
          baseHash: base,
        }),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost.every((r) => (r.reason as { code?: string }).code === "CONFLICT")).toBe(true);
    const onDisk = readFileSync(path.join(root, "openspec/changes/add-race/proposal.md"), "utf8");
    const after = await services.specs.get(id);
    expect(after.files["proposal.md"]).toBe(onDisk);
    expect(onDisk.match(/Edit by user \d+\./g)).toHaveLength(1);
    const flushes = (await services.history.list({ specId: id, direction: "db_to_fs" })).items;
    expect(flushes).toHaveLength(1);
    expect(flushes[0]!.previousContent).toEqual({ "proposal.md": got.files["proposal.md"] });
  });
});
