import { appendFileSync } from "node:fs";
import path from "node:path";
import {
  changeFiles,
  cleanupTempRepos,
  openspecRaw,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { describeEachDb } from "@specsync/api/testing/each-db";
import { afterAll, expect, it } from "vitest";
import { startTestServer } from "../testing";

afterAll(cleanupTempRepos);

describeEachDb("lastModified after a burst of edits, with the real watcher", (db) => {
  it("specsync list --json equals openspec list --json once the burst has settled (no manual sync)", async () => {
    const root = tempRepo();
    writeTree(root, { ...changeFiles("add-burst"), ...changeFiles("add-quiet") });
    // The scheduler's batch runs often, as the periodic batch would in a real server.
    const server = await startTestServer({ databaseUrl: db().url, projects: [root] });
    try {
      const tasks = path.join(root, "openspec/changes/add-burst/tasks.md");
      // The tester's loop: `echo "- [x] 7.$i t" >> tasks.md; sleep 0.2`, 20 times.
      for (let i = 1; i <= 20; i++) {
        appendFileSync(tasks, `- [x] 7.${i} t\n`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 2000)); // `sleep 2`: the watcher alone
      const ours = await fetch(`${server.url}/cli/v1/list?root=${encodeURIComponent(root)}`).then(
        (r) => r.json() as Promise<{ stdout: string; exitCode: number }>,
      );
      const theirs = await openspecRaw(root, ["list", "--json"]);
      expect(JSON.parse(ours.stdout)).toEqual(JSON.parse(theirs.stdout));
      expect(ours.stdout).toBe(theirs.stdout);
      expect(ours.exitCode).toBe(theirs.code);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
