import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createServices } from "@specsync/api";
import type { Database } from "@specsync/db";
import { must } from "./must";

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    "git",
    [
      "-c",
      "user.name=bench",
      "-c",
      "user.email=bench@example.com",
      "-c",
      "commit.gpgsign=false",
      ...args,
    ],
    { cwd, stdio: "pipe" },
  );

const proposal = (title: string) =>
  `# Change: ${title}\n\n## Why\nBecause.\n\n## What Changes\n- Something.\n`;

/**
 * `git checkout` of a branch that rewrites `n` archived proposals under a running runtime
 * (watchers, a scheduler that never fires, the git watcher): time from the checkout's return until
 * the DB holds all `n` new titles. Archived folders are not watched file by file, so this is the
 * git watcher's work.
 */
export async function branchSwitch(
  database: Database,
  scratch: string,
  n: number,
): Promise<{ ms: number }> {
  const root = mkdtempSync(path.join(scratch, "git-"));
  const archived = (i: number) =>
    path.join(root, "openspec/changes/archive", `2025-01-01-old-${i}`);
  mkdirSync(path.join(root, "openspec/specs"), { recursive: true });
  for (let i = 0; i < n * 2; i++) {
    mkdirSync(archived(i), { recursive: true });
    writeFileSync(path.join(archived(i), "proposal.md"), proposal(`Old ${i}`));
    writeFileSync(path.join(archived(i), "tasks.md"), "- [x] 1.1 Done\n");
  }
  git(root, "init", "-q", "-b", "main");
  git(root, "add", "-A");
  git(root, "commit", "-qm", "base");
  git(root, "checkout", "-qb", "rewrite");
  for (let i = 0; i < n; i++)
    writeFileSync(path.join(archived(i), "proposal.md"), proposal(`Rewritten ${i}`));
  git(root, "commit", "-qam", "rewrite");
  git(root, "checkout", "-q", "main");

  const services = createServices(database, { scheduler: { cron: "0 0 1 1 *" } });
  await services.runtime.start([root]);
  try {
    const project = must(
      (await services.projects.list()).find((p) => p.rootPath === root),
      "the project",
    );
    const rewritten = async () =>
      (
        await services.specs.list({
          projectId: project.id,
          kind: "change",
          archived: true,
          limit: 200,
        })
      ).items.filter((i) => i.title.startsWith("Rewritten")).length;
    const t = performance.now();
    git(root, "checkout", "-q", "rewrite");
    for (;;) {
      if ((await rewritten()) === n) return { ms: performance.now() - t };
      if (performance.now() - t > 30_000)
        throw new Error("branch switch: DB not consistent after 30 s");
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await services.runtime.stop();
  }
}
