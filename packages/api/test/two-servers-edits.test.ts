/**
 * Two servers on one PostgreSQL database and one repository (the multi-instance setup): saves of the
 * same file through both at once. Found by an outside tester through MCP `toggle_task` on two
 * `specsync serve` processes: a toggle answered "saved" while the other server's rename replaced
 * its bytes, and some toggles of untouched tasks answered CONFLICT.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { createDb } from "@specsync/db";
import { afterAll, describe, expect, it } from "vitest";
import { createServices, sha256 } from "../src";
import { createTestDb, postgresReachable, type TestDb } from "../testing/databases";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

const TASKS = 20;
const pgOk = await postgresReachable();

describe.skipIf(!pgOk)("two servers on one PostgreSQL database [postgres]", () => {
  const opened: { close(): Promise<void> }[] = [];
  let testDb: TestDb | undefined;
  afterAll(async () => {
    for (const d of opened) await d.close();
    await testDb?.drop();
  });

  async function twoServers() {
    testDb = await createTestDb("postgres");
    const url = testDb.url;
    if (!url) throw new Error("a PostgreSQL test database has a url");
    const second = await createDb({ url });
    opened.push(second);
    const root = tempRepo();
    const tasks = `## 1. Work\n${Array.from({ length: TASKS }, (_, i) => `- [ ] 1.${i + 1} Task ${i + 1}\n`).join("")}`;
    writeTree(root, { ...changeFiles("two-servers"), "changes/two-servers/tasks.md": tasks });
    const a = createServices(testDb.database);
    const b = createServices(second);
    const project = await a.sync.ensureProject(root);
    await a.sync.syncProject(project, "startup");
    await b.sync.ensureProject(root);
    const { items } = await a.specs.list({ projectId: project.id, kind: "change" });
    const id = items.find((i) => i.name === "two-servers")?.id;
    if (!id) throw new Error("the change was imported");
    const file = path.join(root, "openspec", "changes", "two-servers", "tasks.md");
    return { a, b, id, file };
  }

  it("twenty toggles of different tasks at once, split across both servers: every one applied, on disk and in the database", async () => {
    const { a, b, id, file } = await twoServers();
    for (let round = 0; round < 3; round++) {
      const done = round % 2 === 0;
      // What an agent sends: the hash it read just before (MCP's toggle_task without a baseHash).
      const loaded = (await a.specs.get(id)).contentHashes["tasks.md"];
      if (!loaded) throw new Error("tasks.md is synced");
      const results = await Promise.allSettled(
        Array.from({ length: TASKS }, (_, i) =>
          (i % 2 ? a : b).specs.toggleTask({
            id,
            taskId: `1.${i + 1}`,
            done,
            baseHash: loaded,
            actor: `agent-${i}`,
          }),
        ),
      );
      const refused = results.flatMap((r, i) =>
        r.status === "rejected" ? [`1.${i + 1}: ${String(r.reason)}`] : [],
      );
      expect(refused, `round ${round}`).toEqual([]);
      const mark = done ? "- [x]" : "- [ ]";
      const disk = readFileSync(file, "utf8");
      expect(disk.split("\n").filter((l) => l.startsWith(mark)).length, `round ${round}`).toBe(
        TASKS,
      );
      for (const s of [a, b]) {
        const row = await s.specs.get(id);
        expect(row.tasksCompleted, `round ${round}`).toBe(done ? TASKS : 0);
        expect(row.contentHashes["tasks.md"], `round ${round}`).toBe(sha256(disk));
      }
    }
  }, 120_000);
});
