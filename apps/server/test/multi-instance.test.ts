import { writeFileSync } from "node:fs";
import path from "node:path";
import { createServices, SyncScheduler } from "@specsync/api";
import {
  changeFiles,
  cleanupTempRepos,
  createTestDb,
  postgresReachable,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer, waitFor } from "../testing";

afterAll(cleanupTempRepos);
const pgOk = await postgresReachable();
if (!pgOk && process.env.CI) throw new Error("PostgreSQL must be reachable in CI");

describe.skipIf(!pgOk)("several servers on one PostgreSQL", () => {
  it("one batch runner per project; an edit through A reaches a subscriber on B", async () => {
    const testDb = await createTestDb("postgres");
    const root = tempRepo();
    writeTree(root, { ...changeFiles("add-shared"), ...changeFiles("add-other") });
    const a = await startTestServer({ databaseUrl: testDb.url, projects: [root] });
    const b = await startTestServer({ databaseUrl: testDb.url, projects: [root] });
    try {
      const project = (await a.client.projects.list.query()).find((p) => p.rootPath === root)!;
      expect((await b.client.projects.list.query()).find((p) => p.rootPath === root)!.id).toBe(
        project.id,
      );

      // Two schedulers on two connections pools: the advisory lock lets exactly one run.
      const sa = createServices(testDb.database);
      const dbB = (await import("@specsync/db")).createDb({ url: testDb.url! });
      const sb = createServices(await dbB);
      const schedA = new SyncScheduler(project, sa.sync, sa.database, { staleSeconds: 0 });
      const schedB = new SyncScheduler(project, sb.sync, sb.database, { staleSeconds: 0 });
      let results = await Promise.all([schedA.runOnce(), schedB.runOnce()]);
      // the first can finish before the second asks; try until they overlap
      for (let i = 0; i < 20 && results.every((r) => r.ran); i++)
        results = await Promise.all([schedA.runOnce(), schedB.runOnce()]);
      expect(results.filter((r) => r.ran)).toHaveLength(1);
      await sb.database.close();

      const id = (
        await b.client.specs.list.query({ projectId: project.id, kind: "change" })
      ).items.find((i) => i.name === "add-shared")!.id;
      const seenOnB: string[] = [];
      const sub = b.client.sync.events.subscribe(undefined, {
        onData: (d) => d.data.specId === id && seenOnB.push(d.data.type),
      });
      await new Promise((r) => setTimeout(r, 300));
      const got = await a.client.specs.get.query({ id });
      await a.client.specs.update.mutate({
        id,
        file: "proposal.md",
        content: `${got.files["proposal.md"]}\nFrom A.\n`,
        baseHash: got.contentHashes["proposal.md"]!,
      });
      await waitFor(() => seenOnB.includes("spec_changed"), 5000, "event on B");
      sub.unsubscribe();
    } finally {
      await a.stop();
      await b.stop();
      await testDb.drop();
    }
  });

  it("connections terminated during a burst of saves: the watcher retries on its own and nothing is missed", async () => {
    const testDb = await createTestDb("postgres");
    const root = tempRepo();
    const names = Array.from({ length: 10 }, (_, i) => `add-burst-${i}`);
    for (const n of names) writeTree(root, changeFiles(n));
    const s = await startTestServer({ databaseUrl: testDb.url, projects: [root] });
    const admin = postgres(testDb.url!.replace(/\/[^/]*$/, "/postgres"), {
      max: 1,
      onnotice: () => {},
    });
    const dbName = testDb.url!.split("/").pop()!;
    try {
      const project = (await s.client.projects.list.query()).find((p) => p.rootPath === root)!;
      for (let round = 0; round < 3; round++) {
        for (const n of names)
          writeFileSync(
            path.join(root, "openspec/changes", n, "tasks.md"),
            `- [x] 1.1 round ${round}\n- [ ] 1.2 open\n`,
          );
        await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${dbName} and pid <> pg_backend_pid()`;
        await new Promise((r) => setTimeout(r, 50));
      }
      // No manual sync and no scheduler tick (30 s away): the watcher's own retries must catch up
      // to the last round (every round has the same task counts, so wait for the content itself).
      const last = "- [x] 1.1 round 2\n- [ ] 1.2 open\n";
      const contents = async () => {
        const items = (
          await s.client.specs.list.query({ projectId: project.id, kind: "change", limit: 50 })
        ).items;
        return Promise.all(
          items.map(async (i) => (await s.client.specs.get.query({ id: i.id })).files["tasks.md"]),
        );
      };
      await waitFor(
        async () => {
          const got = await contents();
          return got.length === 10 && got.every((c) => c === last);
        },
        15000,
        "catch-up to the last round",
      );
      expect(await contents()).toEqual(Array(10).fill(last));
    } finally {
      await admin.end();
      await s.stop();
      await testDb.drop();
    }
  });
});
