import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { createServices, SpecsyncError, sha256, sharedParsePool } from "../src";
import { staleRows, syncStateRows } from "../src/services/sync/store";
import type { SyncContext, SyncStateRow } from "../src/services/sync/types";
import { describeEachDb } from "../testing/each-db";
import { openspecRaw } from "../testing/openspec-cli";
import {
  changeFiles,
  cleanupTempRepos,
  MAIN_SPEC,
  tempRepo,
  writeTree,
} from "../testing/workspace";

afterAll(cleanupTempRepos);

const read = (root: string, rel: string) => readFileSync(path.join(root, "openspec", rel), "utf8");
const write = (root: string, rel: string, content: string | Buffer) =>
  writeTree(root, { [rel]: content });

describeEachDb("OpenSpecSyncService", (db) => {
  async function setup(files: Record<string, string> = changeFiles("add-demo")) {
    const services = createServices(db().database);
    const root = tempRepo();
    writeTree(root, files);
    const project = await services.sync.ensureProject(root);
    const summary = await services.sync.syncProject(project, "startup");
    const change = async (name = "add-demo") => {
      const { items } = await services.specs.list({
        projectId: project.id,
        kind: "change",
        search: name,
      });
      const item = items.find((i) => i.name === name);
      if (!item) throw new Error(`no row for ${name}`);
      return services.sync.getRow(item.id, true);
    };
    const history = async (specId: string) =>
      (await services.history.list({ specId, limit: 200 })).items;
    return { services, root, project, summary, change, history };
  }

  it("imports a change with parsed fields and a history row", async () => {
    const { summary, change, history } = await setup();
    expect(summary.failed).toBe(0);
    const row = await change();
    expect(row.title).toBe("add-demo");
    expect(row.why).toBe("Because it matters.");
    expect(row.whatChanges).toBe("- Something changes.");
    expect(row.impact).toBe("- Affected specs: demo");
    expect([row.tasksCompleted, row.tasksTotal, row.completion]).toEqual([1, 3, 33.33]);
    expect(row.deltaCount).toBe(1);
    expect(row.requirementCount).toBe(1);
    expect(row.scenarioCount).toBe(1);
    expect(row.meta).toMatchObject({ schema: "spec-driven", created: "2026-01-02" });
    expect(row.designContent).toBeNull();
    expect(row.baseHashes).toEqual(row.contentHashes);
    const h = await history(row.id);
    expect(h).toHaveLength(1);
    expect(h[0]).toMatchObject({
      direction: "fs_to_db",
      trigger: "startup",
      action: "created",
      success: true,
    });
  });

  it("a second sync with nothing changed is a no-op and writes no history", async () => {
    const { services, project, change, history } = await setup();
    const again = await services.sync.syncProject(project, "periodic");
    expect(again.changed).toBe(0);
    expect(await history((await change()).id)).toHaveLength(1);
  });

  it("only-FS-changed imports the file and keeps the previous version in history", async () => {
    const { services, root, project, change, history } = await setup();
    const before = read(root, "changes/add-demo/proposal.md");
    write(
      root,
      "changes/add-demo/proposal.md",
      before.replace("Because it matters.", "Because it matters more."),
    );
    const out = await services.sync.syncFolder(project, "changes/add-demo", "file_watcher");
    expect(out).toMatchObject({ action: "updated", success: true, filesChanged: ["proposal.md"] });
    const row = await change();
    expect(row.why).toBe("Because it matters more.");
    const [latest] = await history(row.id);
    expect(latest!.previousContent).toEqual({ "proposal.md": before });
  });

  it("only-DB-changed (a pending edit) is flushed to disk", async () => {
    const { services, root, change, history } = await setup();
    const row = await change();
    // Simulate an edit whose flush failed: DB differs from base, disk equals base.
    chmodSync(path.join(root, "openspec/changes/add-demo/tasks.md"), 0o444);
    await expect(
      services.sync.writeFile({
        id: row.id,
        file: "tasks.md",
        content: row.tasksContent!.replace("- [ ] 1.1", "- [x] 1.1"),
        baseHash: row.contentHashes["tasks.md"]!,
      }),
    ).rejects.toMatchObject({ code: "IO_ERROR" });
    const pending = await change();
    expect(pending.pendingFiles).toEqual(["tasks.md"]);
    expect(pending.tasksCompleted).toBe(2);
    expect(read(root, "changes/add-demo/tasks.md")).toContain("- [ ] 1.1");
    chmodSync(path.join(root, "openspec/changes/add-demo/tasks.md"), 0o644);
    const out = await services.sync.syncSpec(row.id, "manual");
    expect(out.success).toBe(true);
    expect(read(root, "changes/add-demo/tasks.md")).toContain("- [x] 1.1");
    const after = await change();
    expect(after.pendingFiles).toEqual([]);
    expect(after.baseHashes["tasks.md"]).toBe(after.contentHashes["tasks.md"]);
    expect((await history(row.id)).map((h) => h.action)).toEqual(["flushed", "created"]);
    // no temp files left behind
    expect(
      readdirSync(path.join(root, "openspec/changes/add-demo")).filter((f) => f.endsWith(".tmp")),
    ).toEqual([]);
  });

  it("both changed to the same bytes is not a conflict", async () => {
    const { services, root, change, history } = await setup();
    const row = await change();
    chmodSync(path.join(root, "openspec/changes/add-demo/tasks.md"), 0o444);
    const next = row.tasksContent!.replace("- [ ] 1.3", "- [x] 1.3");
    await services.sync
      .writeFile({
        id: row.id,
        file: "tasks.md",
        content: next,
        baseHash: row.contentHashes["tasks.md"]!,
      })
      .catch(() => {});
    chmodSync(path.join(root, "openspec/changes/add-demo/tasks.md"), 0o644);
    write(root, "changes/add-demo/tasks.md", next);
    const out = await services.sync.syncSpec(row.id, "manual");
    expect(out.action).not.toBe("conflict");
    const after = await change();
    expect(after.conflict).toBeNull();
    expect(after.pendingFiles).toEqual([]);
    expect((await history(row.id)).some((h) => h.action === "conflict")).toBe(false);
  });

  it("both changed differently: the file wins, the DB version is kept in history, status survives", async () => {
    const { services, root, change, history } = await setup();
    const row = await change();
    await services.specs.setStatus({ id: row.id, status: "approved", actor: "alice" });
    await services.specs.setPriority({ id: row.id, priority: "high" });
    chmodSync(path.join(root, "openspec/changes/add-demo/tasks.md"), 0o444);
    const dbVersion = `${row.tasksContent!}- [ ] 1.4 added in the UI\n`;
    await services.sync
      .writeFile({
        id: row.id,
        file: "tasks.md",
        content: dbVersion,
        baseHash: row.contentHashes["tasks.md"]!,
      })
      .catch(() => {});
    chmodSync(path.join(root, "openspec/changes/add-demo/tasks.md"), 0o644);
    const diskVersion = `${row.tasksContent!}- [ ] 1.5 added on disk\n`;
    write(root, "changes/add-demo/tasks.md", diskVersion);
    const out = await services.sync.syncSpec(row.id, "manual");
    expect(out.action).toBe("conflict");
    const after = await change();
    expect(after.tasksContent).toBe(diskVersion);
    expect(read(root, "changes/add-demo/tasks.md")).toBe(diskVersion);
    expect(after.conflict).toMatchObject({ files: ["tasks.md"] });
    expect(after.conflict!.fsModifiedAt).toBeTruthy();
    expect(after.conflict!.dbModifiedAt).toBeTruthy();
    expect([after.status, after.priority, after.statusChangedBy]).toEqual([
      "approved",
      "high",
      "alice",
    ]);
    const kept = (await history(row.id)).find((h) => h.action === "conflict")!;
    expect(kept.previousContent).toEqual({ "tasks.md": dbVersion });
    expect(kept.conflict).toMatchObject({ resolution: "filesystem_wins", automatic: true });
    expect(after.conflict!.historyId).toBe(kept.id);

    // db_wins brings the discarded version back, to the DB and the file
    await services.sync.resolveConflict(row.id, "db_wins", "bob");
    expect(read(root, "changes/add-demo/tasks.md")).toBe(dbVersion);
    const resolved = await change();
    expect(resolved.conflict).toBeNull();
    expect(resolved.tasksContent).toBe(dbVersion);
    const h = await history(row.id);
    expect(h[0]).toMatchObject({
      trigger: "conflict_resolution",
      action: "conflict",
      actor: "bob",
      conflict: { resolution: "db_wins", automatic: false },
    });
  });

  it("filesystem_wins closes the conflict and keeps the disk bytes", async () => {
    const { services, root, change } = await setup();
    const row = await change();
    chmodSync(
      path.join(root, "openspec/changes/add-demo/design.md").replace("design.md", "tasks.md"),
      0o444,
    );
    await services.sync
      .writeFile({
        id: row.id,
        file: "tasks.md",
        content: "- [ ] db\n",
        baseHash: row.contentHashes["tasks.md"]!,
      })
      .catch(() => {});
    chmodSync(path.join(root, "openspec/changes/add-demo/tasks.md"), 0o644);
    write(root, "changes/add-demo/tasks.md", "- [ ] disk\n");
    await services.sync.syncSpec(row.id, "manual");
    await services.sync.resolveConflict(row.id, "filesystem_wins");
    expect(read(root, "changes/add-demo/tasks.md")).toBe("- [ ] disk\n");
    expect((await change()).conflict).toBeNull();
  });

  it("writeFile: DB then atomic flush, one history row, stale base → CONFLICT, file changed on disk → CONFLICT", async () => {
    const { services, root, change, history } = await setup();
    const row = await change();
    const base = row.contentHashes["proposal.md"]!;
    const edited = row.proposalContent!.replace("Because it matters.", "Edited in the UI.");
    const res = await services.sync.writeFile({
      id: row.id,
      file: "proposal.md",
      content: edited,
      baseHash: base,
      actor: "carol",
    });
    expect(res.hash).toBe(sha256(edited));
    expect(read(root, "changes/add-demo/proposal.md")).toBe(edited);
    const h = await history(row.id);
    expect(h.filter((x) => x.direction === "db_to_fs")).toHaveLength(1);
    expect(h[0]).toMatchObject({
      action: "flushed",
      trigger: "user_edit",
      actor: "carol",
      previousContent: { "proposal.md": row.proposalContent },
    });
    // a sync right after our own write is a no-op
    expect((await services.sync.syncSpec(row.id, "file_watcher")).action).toBe("noop");
    // stale base
    await expect(
      services.sync.writeFile({ id: row.id, file: "proposal.md", content: "x", baseHash: base }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    // file changed on disk but not yet synced
    write(root, "changes/add-demo/proposal.md", `${edited}\nDisk edit.\n`);
    await expect(
      services.sync.writeFile({
        id: row.id,
        file: "proposal.md",
        content: "mine",
        baseHash: res.hash,
      }),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    expect(read(root, "changes/add-demo/proposal.md")).toBe(`${edited}\nDisk edit.\n`);
    expect((await change()).proposalContent).toBe(`${edited}\nDisk edit.\n`);
  });

  it("a save that finds the file changed on disk records the import under the save's trigger", async () => {
    const { services, root, change, history } = await setup();
    const row = await change();
    write(root, "changes/add-demo/proposal.md", `${row.proposalContent}\nDisk edit.\n`);
    const save = {
      id: row.id,
      file: "proposal.md",
      content: "mine",
      baseHash: row.contentHashes["proposal.md"] ?? null,
    };
    await expect(services.sync.writeFile(save)).rejects.toMatchObject({ code: "CONFLICT" });
    const [imported] = await history(row.id);
    expect(imported).toMatchObject({
      direction: "fs_to_db",
      action: "updated",
      trigger: "user_edit",
      filesChanged: ["proposal.md"],
    });
    // A restore that meets a changed file is recorded as part of the restore.
    write(root, "changes/add-demo/proposal.md", "again\n");
    const current = await change();
    const restore = {
      ...save,
      baseHash: current.contentHashes["proposal.md"] ?? null,
      trigger: "restore" as const,
    };
    await expect(services.sync.writeFile(restore)).rejects.toMatchObject({ code: "CONFLICT" });
    expect((await history(row.id))[0]).toMatchObject({ direction: "fs_to_db", trigger: "restore" });
  });

  it("writeFile: a disk save racing into the instant before the rename is kept in history", async () => {
    let race: (() => void) | null = null;
    const services = createServices(db().database, {
      writeHooks: { beforeRename: () => race?.() },
    });
    const root = tempRepo();
    writeTree(root, changeFiles("add-race"));
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const { items } = await services.specs.list({ projectId: project.id, search: "add-race" });
    const row = await services.sync.getRow(items[0]!.id);
    race = () =>
      writeFileSync(
        path.join(root, "openspec/changes/add-race/proposal.md"),
        "## Why\nSaved in an editor at the worst moment.\n",
      );
    const res = await services.sync.writeFile({
      id: row.id,
      file: "proposal.md",
      content: "## Why\nFrom the UI.\n",
      baseHash: row.contentHashes["proposal.md"]!,
    });
    const flush = (await services.history.list({ specId: row.id, limit: 10 })).items.find(
      (h) => h.id === res.historyId,
    )!;
    expect(flush.previousContent).toEqual({
      "proposal.md": "## Why\nSaved in an editor at the worst moment.\n",
    });
  });

  it("writeFile: the disk version a save replaces is in the database before the rename (a server that stops there loses nothing)", async () => {
    const ORIGINAL = "## Why\nThe version on disk before the save.\n";
    let atRename: (() => Promise<void>) | null = null;
    const services = createServices(db().database, {
      writeHooks: { beforeRename: () => atRename?.() },
    });
    const root = tempRepo();
    writeTree(root, { ...changeFiles("add-stop"), "changes/add-stop/proposal.md": ORIGINAL });
    const project = await services.sync.ensureProject(root);
    await services.sync.syncProject(project, "startup");
    const { items } = await services.specs.list({ projectId: project.id, search: "add-stop" });
    const row = await services.sync.getRow(items[0]!.id);
    // What another process would find if this one died at the rename: the database already has
    // the new text, and the entry that keeps the version about to be replaced.
    let seen: { action: string; previousContent: unknown }[] = [];
    let dbText: string | null = null;
    atRename = async () => {
      const h = await services.history.list({ specId: row.id, limit: 10 });
      seen = h.items.map((i) => ({ action: i.action, previousContent: i.previousContent }));
      dbText = (await services.sync.getRow(row.id)).proposalContent;
    };
    const res = await services.sync.writeFile({
      id: row.id,
      file: "proposal.md",
      content: "## Why\nFrom the UI.\n",
      baseHash: row.contentHashes["proposal.md"]!,
    });
    expect(dbText).toBe("## Why\nFrom the UI.\n");
    expect(seen[0]).toEqual({ action: "writing", previousContent: { "proposal.md": ORIGINAL } });
    // Once written, the same entry (no second one) says so and still holds the replaced version.
    const after = (await services.history.list({ specId: row.id, limit: 10 })).items;
    expect(after.length).toBe(seen.length);
    expect(after[0]).toMatchObject({
      id: res.historyId,
      action: "flushed",
      success: true,
      previousContent: { "proposal.md": ORIGINAL },
    });
    expect(read(root, "changes/add-stop/proposal.md")).toBe("## Why\nFrom the UI.\n");
  });

  it("creates design.md later through an edit; a no-op save leaves the bytes and history unchanged", async () => {
    const { services, root, change, history } = await setup();
    const row = await change();
    expect(existsSync(path.join(root, "openspec/changes/add-demo/design.md"))).toBe(false);
    await services.sync.writeFile({
      id: row.id,
      file: "design.md",
      content: "# Design\n\nContext.\n",
      baseHash: null,
    });
    expect(read(root, "changes/add-demo/design.md")).toBe("# Design\n\nContext.\n");
    const n = (await history(row.id)).length;
    const r2 = await change();
    await services.sync.writeFile({
      id: row.id,
      file: "design.md",
      content: "# Design\n\nContext.\n",
      baseHash: r2.contentHashes["design.md"]!,
    });
    expect((await history(row.id)).length).toBe(n);
    const v = await openspecRaw(root, ["validate", "add-demo", "--type", "change"]);
    expect(v.code).toBe(0);
  });

  it("a change moved to archive/ stays the same row, now archived; status becomes archived", async () => {
    const { services, root, project, change, history } = await setup();
    const row = await change();
    await services.specs.setPriority({ id: row.id, priority: "critical" });
    mkdirSync(path.join(root, "openspec/changes/archive"), { recursive: true });
    renameSync(
      path.join(root, "openspec/changes/add-demo"),
      path.join(root, "openspec/changes/archive/2026-02-03-add-demo"),
    );
    // the watcher may see the old folder vanish first: that must not delete the row
    const out = await services.sync.syncFolder(project, "changes/add-demo", "file_watcher");
    expect(out.action).toBe("archived");
    const after = await services.sync.getRow(row.id);
    expect(after).toMatchObject({
      path: "changes/archive/2026-02-03-add-demo",
      archived: true,
      archivedOn: "2026-02-03",
      status: "archived",
      priority: "critical",
      deletedAt: null,
    });
    expect(
      (
        await services.sync.syncFolder(
          project,
          "changes/archive/2026-02-03-add-demo",
          "file_watcher",
        )
      ).action,
    ).toBe("noop");
    expect((await history(row.id))[0]!.action).toBe("archived");
    const { items } = await services.specs.list({ projectId: project.id, kind: "change" });
    expect(items.filter((i) => i.name === "add-demo")).toHaveLength(1);
  });

  it("the archive folder seen first also keeps the same row", async () => {
    const { services, root, project, change } = await setup();
    const row = await change();
    renameSync(
      path.join(root, "openspec/changes/add-demo"),
      path.join(root, "openspec/changes/archive/2026-02-03-add-demo"),
    );
    await services.sync.syncFolder(project, "changes/archive/2026-02-03-add-demo", "file_watcher");
    expect(
      (await services.sync.syncFolder(project, "changes/add-demo", "file_watcher")).action,
    ).toBe("noop");
    expect((await services.sync.getRow(row.id)).archived).toBe(true);
  });

  it("archiving onto the path of a deleted archive keeps the deleted row's content (moved aside, not dropped)", async () => {
    const { services, root, project, change } = await setup();
    const first = await change();
    const archived = "changes/archive/2026-02-03-add-demo";
    renameSync(path.join(root, "openspec/changes/add-demo"), path.join(root, "openspec", archived));
    await services.sync.syncProject(project, "periodic");
    const oldProposal = read(root, `${archived}/proposal.md`);
    // A new change of the same name while the archived one still exists: a second row.
    writeTree(root, {
      ...changeFiles("add-demo"),
      "changes/add-demo/proposal.md": "## Why\nSecond attempt.\n\n## What Changes\n- Again.\n",
    });
    await services.sync.syncProject(project, "periodic");
    const second = await change();
    expect(second.id).not.toBe(first.id);
    // The old archive is deleted, then the new change is archived on the same day, onto that path.
    rmSync(path.join(root, "openspec", archived), { recursive: true });
    await services.sync.syncProject(project, "periodic");
    expect((await services.sync.getRow(first.id, true)).deletedAt).not.toBeNull();
    renameSync(path.join(root, "openspec/changes/add-demo"), path.join(root, "openspec", archived));
    await services.sync.syncProject(project, "periodic");
    expect(await services.sync.getRow(second.id)).toMatchObject({ path: archived, archived: true });
    const kept = await services.sync.getRow(first.id, true);
    expect(kept.deletedAt).not.toBeNull();
    expect(kept.proposalContent).toBe(oldProposal);
    expect(kept.path.startsWith(`${archived}~deleted-`)).toBe(true);
  });

  it("a deleted folder soft-deletes the row, content kept; it comes back when the folder does", async () => {
    const { services, root, project, change } = await setup();
    const row = await change();
    const saved = readFileSync(path.join(root, "openspec/changes/add-demo/proposal.md"));
    rmSync(path.join(root, "openspec/changes/add-demo"), { recursive: true });
    const out = await services.sync.syncProject(project, "periodic");
    expect(out.outcomes.find((o) => o.specId === row.id)?.action).toBe("deleted");
    const gone = await services.sync.getRow(row.id, true);
    expect(gone.deletedAt).not.toBeNull();
    expect(gone.proposalContent).toBe(saved.toString());
    await expect(services.sync.getRow(row.id)).rejects.toBeInstanceOf(SpecsyncError);
    write(root, "changes/add-demo/proposal.md", saved);
    await services.sync.syncProject(project, "periodic");
    expect((await services.sync.getRow(row.id)).deletedAt).toBeNull();
  });

  it("a deleted file is imported as a deletion, with its content kept in history", async () => {
    const { services, root, project, change, history } = await setup();
    const row = await change();
    rmSync(path.join(root, "openspec/changes/add-demo/tasks.md"));
    await services.sync.syncFolder(project, "changes/add-demo", "file_watcher");
    const after = await change();
    expect(after.tasksContent).toBeNull();
    expect(after.tasksTotal).toBe(0);
    expect((await history(row.id))[0]!.previousContent).toEqual({ "tasks.md": row.tasksContent });
  });

  it("bad input (binary, 5 MiB, invalid UTF-8, symlink escape) is a recorded error that affects nothing else", async () => {
    const files = {
      ...changeFiles("good-one"),
      ...changeFiles("binary"),
      ...changeFiles("huge"),
      ...changeFiles("latin1"),
      ...changeFiles("escape"),
      "specs/demo/spec.md": MAIN_SPEC,
    };
    const services = createServices(db().database);
    const root = tempRepo();
    writeTree(root, files);
    write(root, "changes/binary/design.md", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
    write(root, "changes/huge/design.md", "x".repeat(5 * 1024 * 1024));
    write(root, "changes/latin1/design.md", Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]));
    const outside = path.join(tmpdir(), `specsync-secret-${Date.now()}.md`);
    writeFileSync(outside, "secret");
    symlinkSync(outside, path.join(root, "openspec/changes/escape/design.md"));
    const project = await services.sync.ensureProject(root);
    const summary = await services.sync.syncProject(project, "startup");
    const byName = Object.fromEntries(summary.outcomes.map((o) => [o.name, o]));
    expect(byName["good-one"]!.success).toBe(true);
    expect(byName["demo"]!.success).toBe(true);
    expect(byName["binary"]!.error).toMatch(/design\.md: .*binary/);
    expect(byName["huge"]!.error).toMatch(/design\.md: .*limit/);
    expect(byName["latin1"]!.error).toMatch(/design\.md: .*not valid UTF-8/);
    expect(byName["escape"]!.error).toMatch(/design\.md: .*outside the OpenSpec root/);
    const failed = await services.history.list({ projectId: project.id, success: false });
    expect(failed.items.map((h) => h.name).sort()).toEqual(["binary", "escape", "huge", "latin1"]);
    const row = await services.sync.getRow(byName["binary"]!.specId!);
    expect(row.syncError).toMatch(/binary/);
    expect(row.proposalContent).toBeNull(); // nothing half-imported
    rmSync(outside);
  });

  it("malformed markdown is recorded as a parse error, never a crash", async () => {
    const { change } = await setup({
      "changes/add-demo/proposal.md": "no headings at all\n```\nunclosed fence",
      "changes/add-demo/tasks.md": "- [ ] ok\n",
    });
    const row = await change();
    expect(row.parseError).toMatch(/Why section/);
    expect(row.syncError).toBeNull();
    expect(row.tasksTotal).toBe(1);
  });

  it("lifecycle: status starts from the stage, archived is never picked by hand, who and when recorded; next() finds the work", async () => {
    const { services, project, change } = await setup({
      ...changeFiles("add-demo"),
      ...changeFiles("add-other"),
      ...changeFiles("add-third"),
    });
    const a = await change("add-demo");
    const b = await change("add-other");
    const c = await change("add-third");
    expect(a.status).toBe("in_progress"); // 1 of 3 tasks done at import
    await expect(services.specs.setStatus({ id: a.id, status: "archived" })).rejects.toThrow(
      /set by archiving the change/,
    );
    const s = await services.specs.setStatus({ id: a.id, status: "approved", actor: "dave" });
    expect(s.statusChangedBy).toBe("dave");
    expect(s.statusChangedAt).toBeInstanceOf(Date);
    await services.specs.setStatus({ id: b.id, status: "approved" });
    await services.specs.setStatus({ id: c.id, status: "approved" });
    await services.specs.setPriority({ id: b.id, priority: "high" });
    await services.specs.setPriority({ id: c.id, priority: "critical" });
    expect((await services.specs.next(project.id))?.name).toBe("add-third");
    await services.specs.setStatus({ id: c.id, status: "in_progress" });
    expect((await services.specs.next(project.id))?.name).toBe("add-other");
  });

  it("toggleTask changes exactly one byte on disk", async () => {
    const { services, root, change } = await setup({
      "changes/add-demo/proposal.md":
        "# Change: x\r\n\r\n## Why\r\ny\r\n\r\n## What Changes\r\n- z\r\n",
      "changes/add-demo/tasks.md": "\uFEFF## 1. G\r\n- [ ] 1.1 a\r\n  * [x] 1.2 b\r\n",
    });
    const row = await change();
    const before = readFileSync(path.join(root, "openspec/changes/add-demo/tasks.md"));
    const detail = await services.specs.get(row.id);
    const task = detail.tasks.find((t) => t.id === "1.1")!;
    await services.specs.toggleTask({
      id: row.id,
      taskId: task.id,
      done: true,
      baseHash: row.contentHashes["tasks.md"]!,
    });
    const after = readFileSync(path.join(root, "openspec/changes/add-demo/tasks.md"));
    expect(after.length).toBe(before.length);
    const diffs = [...after].filter((b, i) => b !== before[i]);
    expect(diffs).toEqual(["x".charCodeAt(0)]);
    expect((await change()).tasksCompleted).toBe(2);
  });

  /** The stats shortcut of a bulk reconcile: skips what did not move, sees everything that did. */
  async function statsShortcut() {
    const files = { ...changeFiles("add-a"), ...changeFiles("add-b"), ...changeFiles("add-c") };
    const { services, root, project, change } = await setup(files);
    // Make every timestamp old, as on a workspace nobody touched for an hour, then sync:
    // fingerprints are stored.
    const age = (dir: string) => {
      const old = new Date(Date.now() - 3600_000);
      for (const e of readdirSync(dir, { withFileTypes: true }))
        if (e.isDirectory()) age(path.join(dir, e.name));
      utimesSync(dir, old, old);
      for (const e of readdirSync(dir, { withFileTypes: true }))
        if (e.isFile()) utimesSync(path.join(dir, e.name), old, old);
    };
    age(path.join(root, "openspec"));
    await services.sync.syncProject(project, "periodic");
    for (const n of ["add-a", "add-b", "add-c"])
      expect((await change(n)).statFingerprint, n).not.toBeNull();
    expect((await services.sync.syncProject(project, "periodic")).changed).toBe(0);
    // The scheduler's path (rows, not a scan) takes the same shortcut and keeps the fingerprints.
    const due = await services.sync.staleRows(project.id, new Date(Date.now() + 60_000), 100);
    expect((await services.sync.syncRows(project, due, "periodic")).changed).toBe(0);
    for (const n of ["add-a", "add-b", "add-c"])
      expect((await change(n)).statFingerprint, n).not.toBeNull();

    // An in-place edit of the same size, a new delta spec in a new capability folder, and a
    // directory off the tracked paths (which makes add-c's fingerprint untrusted: it is read in
    // full from then on).
    const proposal = path.join(root, "openspec/changes/add-a/proposal.md");
    writeFileSync(
      proposal,
      readFileSync(proposal, "utf8").replace("Because it matters.", "Because it mattered"),
    );
    write(
      root,
      "changes/add-b/specs/other/spec.md",
      "## ADDED Requirements\n### Requirement: Other\nThe system SHALL other.\n\n#### Scenario: ok\n- **WHEN** x\n- **THEN** y\n",
    );
    mkdirSync(path.join(root, "openspec/changes/add-c/specs/empty"));
    const out = await services.sync.syncProject(project, "periodic");
    expect(
      out.outcomes
        .filter((o) => o.action !== "noop")
        .map((o) => o.name)
        .sort(),
    ).toEqual(["add-a", "add-b"]);
    expect((await change("add-a")).why).toBe("Because it mattered");
    expect(Object.keys((await change("add-b")).deltaSpecs).sort()).toEqual(["demo", "other"]);
    age(path.join(root, "openspec"));
    await services.sync.syncProject(project, "periodic");
    expect((await change("add-a")).statFingerprint).not.toBeNull();
    expect((await change("add-c")).statFingerprint).toBeNull();
    // A spec.md appearing in the stray directory changes no tracked path's directory but
    // specs/empty's own: add-c is read in full every time, so it is still found.
    write(
      root,
      "changes/add-c/specs/empty/spec.md",
      "## ADDED Requirements\n### Requirement: Late\nThe system SHALL late.\n\n#### Scenario: ok\n- **WHEN** x\n- **THEN** y\n",
    );
    utimesSync(
      path.join(root, "openspec/changes/add-c/specs/empty/spec.md"),
      new Date(Date.now() - 3600_000),
      new Date(Date.now() - 3600_000),
    );
    utimesSync(
      path.join(root, "openspec/changes/add-c/specs/empty"),
      new Date(Date.now() - 3600_000),
      new Date(Date.now() - 3600_000),
    );
    await services.sync.syncProject(project, "periodic");
    expect(Object.keys((await change("add-c")).deltaSpecs).sort()).toEqual(["demo", "empty"]);

    // What only a capability directory's own stat sees (its spec.md's stat does not move): a
    // nested capability created inside it, and a stale temp file an interrupted write left there.
    age(path.join(root, "openspec"));
    await services.sync.syncProject(project, "periodic");
    expect((await change("add-a")).statFingerprint).not.toBeNull();
    const capDir = path.join(root, "openspec/changes/add-a/specs/demo");
    const touchedAgo = (ms: number, ...rels: string[]) => {
      const then = new Date(Date.now() - ms);
      for (const rel of rels) utimesSync(path.join(capDir, rel), then, then);
    };
    write(
      root,
      "changes/add-a/specs/demo/deep/spec.md",
      "## ADDED Requirements\n### Requirement: Deep\nThe system SHALL deep.\n\n#### Scenario: ok\n- **WHEN** x\n- **THEN** y\n",
    );
    touchedAgo(1800_000, "deep/spec.md", "deep", ".");
    const nested = await services.sync.syncProject(project, "periodic");
    expect(nested.outcomes.filter((o) => o.action !== "noop").map((o) => o.name)).toEqual([
      "add-a",
    ]);
    expect(Object.keys((await change("add-a")).deltaSpecs).sort()).toEqual(["demo", "demo/deep"]);
    age(path.join(root, "openspec"));
    await services.sync.syncProject(project, "periodic");
    expect((await change("add-a")).statFingerprint).not.toBeNull();
    writeFileSync(path.join(capDir, ".specsync-left.tmp"), "half a write");
    touchedAgo(1800_000, ".specsync-left.tmp", ".");
    await services.sync.syncProject(project, "periodic");
    expect(existsSync(path.join(capDir, ".specsync-left.tmp"))).toBe(false);
  }

  it(
    "bulk reconcile skips unchanged folders by stats alone, yet sees edits, new delta specs and stray directories",
    statsShortcut,
  );

  it("the no-op check's state read (one JSON text) matches the rows: tracked files, dates, flags", async () => {
    const files = {
      ...changeFiles("add-a"),
      ...changeFiles("add-b"),
      "specs/demo/spec.md": MAIN_SPEC,
    };
    const { services, root, project, change } = await setup(files);
    rmSync(path.join(root, "openspec/changes/add-a"), { recursive: true });
    await services.sync.syncProject(project, "periodic"); // add-a: a soft-deleted row
    // add-b has an error to clear (`dirty`: only the full path handles it).
    await db().database.query("update openspec_specs set sync_error = 'x' where id = $1", [
      (await change("add-b")).id,
    ]);
    const ctx = { database: db().database, db: db().database.db } as unknown as SyncContext;
    const byId = (rows: SyncStateRow[]) => [...rows].sort((x, y) => (x.id < y.id ? -1 : 1));
    const viaJson = byId((await syncStateRows(ctx, project.id)).rows);
    const live = byId(await staleRows(ctx, project.id, new Date(Date.now() + 60_000), 100));
    expect(viaJson.filter((r) => !r.deletedAt)).toEqual(live); // drizzle's decoding of the same
    expect(viaJson.map((r) => r.name).sort()).toEqual(["add-a", "add-b", "demo"]);
    expect(viaJson.find((r) => r.name === "add-a")?.deletedAt).toBeInstanceOf(Date);
    for (const r of viaJson) {
      const row = await services.sync.getRow(r.id, true);
      expect([...r.files].sort(), r.name).toEqual(Object.keys(row.fileStats).sort());
      expect(r.files.length, r.name).toBeGreaterThan(0);
      expect(r.lastSyncedAt?.getTime()).toBe(row.lastSyncedAt?.getTime());
    }
    expect(viaJson.map((r) => [r.name, r.dirty])).toContainEqual(["add-b", true]);
    expect(viaJson.map((r) => [r.name, r.dirty])).toContainEqual(["demo", false]);
  });

  it("a full no-op sync stamps the project, not every row; a failure falls back to per-row stamps", async () => {
    const files = { ...changeFiles("add-a"), ...changeFiles("add-b") };
    const { services, root, project, change } = await setup(files);
    const { database } = db();
    // This project's per-row stamps (the database is shared by the suite's tests).
    const marked = async () =>
      (
        await database.query<{ id: string }>(
          `select c.spec_id as id from sync_checks c
           join openspec_specs s on s.id = c.spec_id where s.project_id = $1`,
          [project.id],
        )
      ).map((m) => m.id);
    const stamp = async () => {
      const [p] = await database.query<{ t: Date | string | null }>(
        "select checked_at as t from projects where id = $1",
        [project.id],
      );
      return p?.t ? new Date(p.t).getTime() : null;
    };
    // Rows last synced an hour ago, project never checked: only the check can make them fresh.
    await database.query(
      "update openspec_specs set last_synced_at = now() - interval '1 hour' where project_id = $1",
      [project.id],
    );
    await database.query("update projects set checked_at = null where id = $1", [project.id]);
    const before = new Date(Date.now() - 60_000);
    expect(await services.sync.staleRows(project.id, before, 10)).toHaveLength(2);
    const page = async () =>
      (await services.specs.list({ projectId: project.id, kind: "change" })).items;
    const listed = (await page()).find((i) => i.name === "add-a")?.lastSyncedAt?.getTime() ?? 0;
    expect((await services.sync.syncProject(project, "periodic")).changed).toBe(0);
    expect(await stamp()).not.toBeNull();
    expect(await marked()).toEqual([]);
    expect(await services.sync.staleRows(project.id, before, 10)).toHaveLength(0);
    expect((await services.status.overall()).totals.stale).toBe(0);
    // The list shows the new check time: the stamp moved the list generation (no stale page).
    const now = (await page()).find((i) => i.name === "add-a")?.lastSyncedAt?.getTime() ?? 0;
    expect(now).toBeGreaterThan(listed);

    // With a folder failing, the project is not stamped; the unchanged rows are, one by one.
    const first = await stamp();
    write(root, "changes/add-b/design.md", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3]));
    await new Promise((r) => setTimeout(r, 20));
    const failing = await services.sync.syncProject(project, "periodic");
    expect(failing.failed).toBe(1);
    expect(await stamp()).toBe(first);
    expect(await marked()).toEqual([(await change("add-a")).id]);
  });

  it("the same with the stats on the parse pool's worker thread (once a bulk import or a big file started it)", async () => {
    await sharedParsePool().warm();
    expect(sharedParsePool().started).toBe(true);
    await statsShortcut();
  });

  it("two syncs racing to create the same new folder's row: one row, no failure", async () => {
    const { services, root, project } = await setup();
    writeTree(root, { "specs/nested/cap/spec.md": MAIN_SPEC });
    const only = (ref: { kind: string }) => ref.kind === "spec";
    const results = await Promise.all(
      [1, 2, 3].map(() => services.sync.syncProject(project, "file_watcher", { only })),
    );
    expect(results.flatMap((r) => r.outcomes).filter((o) => !o.success)).toEqual([]);
    const specs = (await services.specs.list({ projectId: project.id, kind: "spec" })).items.filter(
      (i) => i.name === "nested/cap",
    );
    expect(specs).toHaveLength(1);
  });

  it("rejects edits to untracked files and path escapes", async () => {
    const { services, change } = await setup();
    const row = await change();
    await expect(
      services.sync.writeFile({ id: row.id, file: "../escape.md", content: "x", baseHash: null }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      services.sync.writeFile({ id: row.id, file: "notes.md", content: "x", baseHash: null }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
