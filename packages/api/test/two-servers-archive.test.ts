/**
 * Two processes on one PostgreSQL database sync the same archive move at once: a server's watcher
 * and `specsync archive` run in place (no lock to forward through with PostgreSQL). Found through
 * the bin: every archive left a failed history entry ("database error: duplicate key value violates
 * unique constraint openspec_specs_project_path_uq", once "deadlock detected") although the archive
 * and the row were fine. The loser of the race must read the row again, not record a failure.
 */
import { mkdirSync, renameSync } from "node:fs";
import path from "node:path";
import { createDb } from "@specsync/db";
import { afterAll, describe, expect, it } from "vitest";
import { createServices } from "../src";
import { createTestDb, postgresReachable, type TestDb } from "../testing/databases";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

const CHANGES = 12;
const pgOk = await postgresReachable();

describe.skipIf(!pgOk)("two servers sync one archive move [postgres]", () => {
  const opened: { close(): Promise<void> }[] = [];
  let testDb: TestDb | undefined;
  afterAll(async () => {
    for (const d of opened) await d.close();
    await testDb?.drop();
  });

  it("both succeed, the row keeps its id and moves, no failure is recorded", async () => {
    testDb = await createTestDb("postgres");
    const url = testDb.url;
    if (!url) throw new Error("a PostgreSQL test database has a url");
    const second = await createDb({ url });
    opened.push(second);
    const root = tempRepo();
    const names = Array.from({ length: CHANGES }, (_, i) => `race-${i}`);
    writeTree(root, Object.assign({}, ...names.map((n) => changeFiles(n))));
    const a = createServices(testDb.database);
    const b = createServices(second);
    const project = await a.sync.ensureProject(root);
    await a.sync.syncProject(project, "startup");
    await b.sync.ensureProject(root);
    const { items } = await a.specs.list({ projectId: project.id, kind: "change" });
    const ids = new Map(items.map((i) => [i.name, i.id]));
    const changes = path.join(root, "openspec", "changes");
    mkdirSync(path.join(changes, "archive"), { recursive: true });
    const outcomes = await Promise.all(
      names.map(async (n) => {
        renameSync(path.join(changes, n), path.join(changes, "archive", `2026-01-03-${n}`));
        // The watcher syncs the new folder, the archive command the old path: both see the move.
        return Promise.all([
          a.sync.syncFolder(project, `changes/archive/2026-01-03-${n}`, "file_watcher"),
          b.sync.syncFolder(project, `changes/${n}`, "lifecycle"),
        ]);
      }),
    );
    const failed = outcomes.flat().filter((o) => !o.success);
    expect(failed.map((o) => `${o.name}: ${o.error}`)).toEqual([]);
    const history = await a.history.list({ projectId: project.id, limit: 200 });
    const failures = history.items.filter((h) => !h.success);
    expect(failures.map((h) => `${h.name} ${h.trigger}: ${h.error}`)).toEqual([]);
    const after = await a.specs.list({ projectId: project.id, kind: "change", archived: true });
    for (const n of names) {
      const row = after.items.find((i) => i.name === n);
      expect(row?.id, n).toBe(ids.get(n));
      expect(row?.path, n).toBe(`changes/archive/2026-01-03-${n}`);
    }
  });
});
