import { execFile } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import {
  changeFiles,
  cleanupTempRepos,
  MAIN_SPEC,
  openspecRaw,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { describeEachDb } from "@specsync/api/testing/each-db";
import { afterAll, afterEach, expect, it } from "vitest";
import { startTestServer, type TestServer, waitFor } from "../testing";

const run = promisify(execFile);
afterAll(cleanupTempRepos);

describeEachDb("live sync through the real server", (db) => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  async function boot(
    files: Record<string, string> = { ...changeFiles("add-demo"), "specs/demo/spec.md": MAIN_SPEC },
    dataDir?: string,
  ) {
    const root = tempRepo();
    writeTree(root, files);
    server = await startTestServer({
      databaseUrl: db().url,
      projects: [root],
      ...(dataDir ? { env: { SPECSYNC_DATA_DIR: dataDir } } : {}),
    });
    const c = server.client;
    const project = (await c.projects.list.query()).find((p) => p.rootPath === root)!;
    const find = async (name: string, kind: "change" | "spec" = "change") =>
      (
        await c.specs.list.query({ projectId: project.id, kind, sort: "name", limit: 200 })
      ).items.find((i) => i.name === name);
    const file = (rel: string) => path.join(root, "openspec", rel);
    return { root, c, project, find, file };
  }

  it("startup syncs everything; /healthz reports DB and watcher", async () => {
    const { find } = await boot();
    expect(await find("add-demo")).toBeTruthy();
    expect(await find("demo", "spec")).toBeTruthy();
    const health = await (await fetch(`${server!.url}/healthz`)).json();
    expect(health).toMatchObject({
      ok: true,
      db: { ok: true },
      projects: [{ watcher: { state: "watching" } }],
    });
  });

  it("editor save styles all reach the database: in place, atomic rename, vim backup swap, delete+recreate", async () => {
    const { c, find, file } = await boot();
    const id = (await find("add-demo"))!.id;
    const titleIs = (t: string) =>
      waitFor(async () => (await c.specs.get.query({ id })).title === t, 5000, `title ${t}`);
    const proposal = (t: string) => `# Change: ${t}\n\n## Why\nw\n\n## What Changes\n- x\n`;
    const target = file("changes/add-demo/proposal.md");

    writeFileSync(target, proposal("in place"));
    await titleIs("in place");

    writeFileSync(`${target}.tmp`, proposal("atomic rename"));
    renameSync(`${target}.tmp`, target);
    await titleIs("atomic rename");

    renameSync(target, `${target}~`); // vim: backup the original, write a new file, drop the backup
    writeFileSync(target, proposal("vim style"));
    unlinkSync(`${target}~`);
    await titleIs("vim style");

    unlinkSync(target);
    writeFileSync(target, proposal("delete and recreate"));
    await titleIs("delete and recreate");

    const history = (await c.sync.history.query({ specId: id, limit: 50 })).items;
    expect(history.every((h) => h.success)).toBe(true);
    expect(history.filter((h) => h.trigger === "file_watcher").length).toBeGreaterThanOrEqual(4);
  });

  it("new folders, deletions and main spec rewrites are picked up; ignored files are ignored", async () => {
    const { c, root, find, file, project } = await boot();
    writeTree(root, changeFiles("add-new"));
    await waitFor(() => find("add-new"), 5000, "new change");
    writeTree(root, { "specs/nested/cap/spec.md": MAIN_SPEC });
    await waitFor(() => find("nested/cap", "spec"), 5000, "nested spec");
    writeFileSync(file("changes/add-new/.proposal.md.swp"), "swap");
    writeFileSync(file("changes/.openspec-archive.lock"), "lock");
    rmSync(file("changes/add-new"), { recursive: true });
    await waitFor(async () => !(await find("add-new")), 5000, "soft delete");
    const failures = (
      await c.sync.history.query({ projectId: project.id, success: false, limit: 100 })
    ).items;
    expect(failures.map((h) => `${h.name}: ${h.error}`)).toEqual([]);
  });

  it("the real `openspec archive` keeps the same row, now archived, and updates the main spec", async () => {
    const { c, root, find } = await boot();
    const before = (await find("add-demo"))!;
    await c.specs.setPriority.mutate({ id: before.id, priority: "high" });
    const delta =
      "## ADDED Requirements\n### Requirement: Archived behaviour\nThe system SHALL archive.\n\n#### Scenario: ok\n- **WHEN** archived\n- **THEN** merged\n";
    writeTree(root, { "changes/add-demo/specs/demo/spec.md": delta });
    await waitFor(
      async () =>
        (await c.specs.get.query({ id: before.id })).files["specs/demo/spec.md"] === delta,
      5000,
      "delta synced",
    );
    const res = await openspecRaw(root, ["archive", "add-demo", "--yes"]);
    expect(res.code, res.stderr + res.stdout).toBe(0);
    const row = await waitFor(
      async () => {
        const r = await c.specs.get.query({ id: before.id });
        return r.archived ? r : null;
      },
      8000,
      "archived row",
    );
    expect(row).toMatchObject({ status: "archived", priority: "high" });
    expect(row.path).toMatch(/^changes\/archive\/\d{4}-\d{2}-\d{2}-add-demo$/);
    const spec = (await find("demo", "spec"))!;
    await waitFor(
      async () =>
        (await c.specs.get.query({ id: spec.id })).files["spec.md"]?.includes("Archived behaviour"),
      8000,
      "main spec rewritten",
    );
    const all = (
      await c.specs.list.query({ projectId: before.projectId, kind: "change", limit: 200 })
    ).items.filter((i) => i.name === "add-demo");
    expect(all).toHaveLength(1);
  });

  it("archive/ removed and created again while watching: folders arriving in it and leaving it are seen", async () => {
    const { c, root, find, file } = await boot({
      ...changeFiles("add-demo"),
      ...changeFiles("add-other"),
    });
    const id = (await find("add-demo"))!.id;
    rmSync(file("changes/archive"), { recursive: true });
    await new Promise((r) => setTimeout(r, 200));
    renameSync(file("changes/add-demo"), path.join(root, "openspec", "moved-out"));
    const { mkdirSync } = await import("node:fs");
    mkdirSync(file("changes/archive"));
    await new Promise((r) => setTimeout(r, 200)); // the watch on the new archive/ is set up on chokidar's addDir
    renameSync(
      path.join(root, "openspec", "moved-out"),
      file("changes/archive/2026-03-04-add-demo"),
    );
    await waitFor(
      async () => (await c.specs.get.query({ id })).archived,
      5000,
      "archived by a manual move into a new archive/",
    );
    rmSync(file("changes/archive/2026-03-04-add-demo"), { recursive: true });
    await waitFor(
      async () => !(await find("add-demo")),
      5000,
      "archived folder deleted → row soft-deleted",
    );
    expect(await find("add-other")).toBeTruthy();
  });

  it("a DB→FS flush writes the file once and produces exactly one history row (no echo from the watcher)", async () => {
    const { c, find, file } = await boot();
    const id = (await find("add-demo"))!.id;
    const got = await c.specs.get.query({ id });
    const n = (await c.sync.history.query({ specId: id })).items.length;
    const content = got.files["proposal.md"]!.replace("Because it matters.", "Edited over HTTP.");
    await c.specs.update.mutate({
      id,
      file: "proposal.md",
      content,
      baseHash: got.contentHashes["proposal.md"]!,
    });
    expect(readFileSync(file("changes/add-demo/proposal.md"), "utf8")).toBe(content);
    await new Promise((r) => setTimeout(r, 400)); // let the watcher see our own write
    const after = (await c.sync.history.query({ specId: id })).items;
    expect(after.length).toBe(n + 1);
    expect(after[0]).toMatchObject({ direction: "db_to_fs", trigger: "user_edit", actor: "test" });
    const validate = await openspecRaw(path.dirname(path.dirname(file("x"))), [
      "validate",
      "add-demo",
      "--type",
      "change",
    ]);
    expect(validate.code).toBe(0);
  });

  it("SSE: a subscriber sees a disk save as spec_changed, and a reconnect with lastEventId catches up", async () => {
    const { c, find, file } = await boot();
    const id = (await find("add-demo"))!.id;
    const seen: { id: string; type: string; specId: string | null }[] = [];
    const sub = c.sync.events.subscribe(undefined, {
      onData: (d) => seen.push({ id: d.id, type: d.data.type, specId: d.data.specId }),
    });
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(file("changes/add-demo/tasks.md"), "- [x] 1.1 done now\n");
    const first = await waitFor(
      () => seen.find((e) => e.type === "spec_changed" && e.specId === id),
      5000,
      "spec_changed event",
    );
    sub.unsubscribe();
    // while disconnected, two more saves
    writeFileSync(file("changes/add-demo/tasks.md"), "- [x] 1.1 done now\n- [ ] 1.2 later\n");
    await waitFor(async () => (await c.specs.get.query({ id })).tasksTotal === 2);
    writeFileSync(file("changes/add-demo/tasks.md"), "- [x] 1.1 done now\n- [x] 1.2 later\n");
    await waitFor(async () => (await c.specs.get.query({ id })).tasksCompleted === 2);
    const replay: { id: string; type: string }[] = [];
    const sub2 = c.sync.events.subscribe(
      { lastEventId: first.id },
      { onData: (d) => replay.push({ id: d.id, type: d.data.type }) },
    );
    await waitFor(
      () => replay.filter((e) => e.type === "spec_changed").length >= 2,
      5000,
      "catch-up events",
    );
    sub2.unsubscribe();
    expect(Number(replay[0]!.id)).toBeGreaterThan(Number(first.id));
  });

  it("graceful shutdown flushes queued saves, leaves no temp files and closes cleanly", async () => {
    const dataDir = db().url ? undefined : mkdtempSync(path.join(tmpdir(), "specsync-pgdata-"));
    const { c, find, file, root } = await boot(undefined, dataDir);
    const id = (await find("add-demo"))!.id;
    writeFileSync(file("changes/add-demo/tasks.md"), "- [ ] only one\n");
    await server!.stop();
    server = undefined;
    const leftovers = readdirSync(path.join(root, "openspec/changes/add-demo")).filter((f) =>
      f.includes(".specsync-"),
    );
    expect(leftovers).toEqual([]);
    // the save queued at shutdown was synced before the DB closed
    server = await startTestServer({
      databaseUrl: db().url,
      projects: [root],
      ...(dataDir ? { env: { SPECSYNC_DATA_DIR: dataDir } } : {}),
    });
    const got = await server.client.specs.get.query({ id });
    expect(got.tasksTotal).toBe(1);
    expect(c).toBeTruthy();
  });
});

describeEachDb("HTTP security", (db) => {
  it("binds to loopback, requires the token when set, enforces body size and CORS", async () => {
    const root = tempRepo();
    writeTree(root, changeFiles("add-demo"));
    const token = "a-long-enough-test-token";
    const s = await startTestServer({ databaseUrl: db().url, projects: [root], token });
    try {
      expect(new URL(s.url).hostname).toBe("127.0.0.1");
      const noAuth = await fetch(`${s.url}/trpc/specs.list`);
      expect(noAuth.status).toBe(401);
      const body = await noAuth.text();
      expect(body).not.toMatch(/\n\s+at /);
      const wrong = await fetch(`${s.url}/trpc/specs.list`, {
        headers: { authorization: "Bearer nope" },
      });
      expect(wrong.status).toBe(401);
      expect((await s.client.specs.list.query({})).items.length).toBe(1);
      const huge = await fetch(`${s.url}/trpc/specs.update`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: "x".repeat(9 * 1024 * 1024),
      });
      expect(huge.status).toBe(413);
      const pre = await fetch(`${s.url}/trpc/specs.list`, {
        method: "OPTIONS",
        headers: { origin: "http://evil.example" },
      });
      expect(pre.status).toBe(403);
      const ok = await fetch(`${s.url}/trpc/specs.list`, {
        method: "OPTIONS",
        headers: { origin: "http://localhost:3000" },
      });
      expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    } finally {
      await s.stop();
    }
    await expect(
      startTestServer({ databaseUrl: db().url, projects: [root], env: { HOST: "0.0.0.0" } }),
    ).rejects.toThrow(/SPECSYNC_TOKEN/);
    expect(existsSync(root)).toBe(true);
    expect(run).toBeTruthy();
  });
});
