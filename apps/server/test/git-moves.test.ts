import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "@specsync/api/testing";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer, waitFor } from "../testing";

afterAll(cleanupTempRepos);

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    "git",
    ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args],
    { cwd, stdio: "pipe" },
  ).toString();

const archived = (i: number) => `changes/archive/2025-01-01-old-${i}`;

describe("the repository moving under the server (git checkout, reset)", () => {
  it("a branch switch that rewrites 30 archived proposals reaches the DB at once, without the scheduler", async () => {
    const root = tempRepo();
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++)
      for (const [k, v] of Object.entries(changeFiles(`old-${i}`)))
        files[k.replace(`changes/old-${i}`, archived(i))] = v;
    writeTree(root, { ...files, ...changeFiles("add-live") });
    git(root, "init", "-q", "-b", "main");
    git(root, "add", "-A");
    git(root, "commit", "-qm", "base");
    git(root, "checkout", "-qb", "rewrite");
    for (let i = 0; i < 30; i++)
      writeFileSync(
        path.join(root, "openspec", archived(i), "proposal.md"),
        `# Change: Rewritten ${i}\n\n## Why\nw\n\n## What Changes\n- x\n`,
      );
    git(root, "commit", "-qam", "rewrite archived proposals");
    git(root, "checkout", "-q", "main");

    // The test server's scheduler never fires (cron set to once a year): only the git watcher can
    // help.
    const s = await startTestServer({ databaseUrl: null, projects: [root] });
    try {
      const project = (await s.client.projects.list.query()).find((p) => p.rootPath === root)!;
      const titles = async () =>
        (
          await s.client.specs.list.query({
            projectId: project.id,
            kind: "change",
            archived: true,
            limit: 100,
          })
        ).items.filter((i) => i.title.startsWith("Rewritten")).length;
      expect(await titles()).toBe(0);
      const t = Date.now();
      git(root, "checkout", "-q", "rewrite");
      await waitFor(async () => (await titles()) === 30, 5000, "30 rewritten proposals in the DB");
      console.log(
        `branch switch touching 30 archived folders → DB consistent in ${Date.now() - t} ms`,
      );
      const hist = await s.client.sync.history.query({ projectId: project.id, limit: 100 });
      expect(hist.items.some((h) => h.trigger === "git")).toBe(true);

      // And back again, with a hard reset this time (moves the branch ref, rewrites the files).
      git(root, "checkout", "-q", "main");
      await waitFor(
        async () => (await titles()) === 0,
        5000,
        "proposals restored after checking out main",
      );
      git(root, "reset", "-q", "--hard", "rewrite");
      await waitFor(async () => (await titles()) === 30, 5000, "proposals after reset --hard");
    } finally {
      await s.stop();
    }
  });
});
