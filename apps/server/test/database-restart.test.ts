import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "@specsync/api/testing";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer, waitFor } from "../testing";
import { createPrivatePostgres, privatePostgresAvailable } from "./private-postgres";

afterAll(cleanupTempRepos);
if (!privatePostgresAvailable && process.env.CI)
  throw new Error(
    "CI must be able to run a private PostgreSQL cluster (/usr/lib/postgresql/*/bin)",
  );

/**
 * PostgreSQL itself stopped and started again (not just connections killed) while files are saved
 * and the UI edits: saves made while it was down arrive by themselves once it is back, UI edits
 * fail with a clear error and leave no trace, and live events flow again.
 */
describe.skipIf(!privatePostgresAvailable)("PostgreSQL restarted under a running server", () => {
  it("saves made while it was down are synced when it returns; UI edits fail cleanly; events resume", async () => {
    const pg = await createPrivatePostgres();
    const root = tempRepo();
    const names = Array.from({ length: 10 }, (_, i) => `add-outage-${i}`);
    for (const n of names) writeTree(root, changeFiles(n));
    const server = await startTestServer({ databaseUrl: pg.url, projects: [root] });
    const c = server.client;
    const tasksOf = (n: string) => path.join(root, "openspec/changes", n, "tasks.md");
    try {
      const project = (await c.projects.list.query()).find((p) => p.rootPath === root)!;
      const items = (await c.specs.list.query({ projectId: project.id, kind: "change", limit: 50 }))
        .items;
      expect(items).toHaveLength(10);
      const first = await c.specs.get.query({ id: items[0]!.id });

      pg.stop();
      const downAt = Date.now();
      for (const n of names)
        writeFileSync(tasksOf(n), `- [x] 1.1 saved while the database was down\n- [ ] 1.2 ${n}\n`);
      const health = await fetch(`${server.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ ok: false, db: { ok: false } });
      // A UI edit while it is down: a clear error, and the file is not touched.
      const firstFolder = path.join(root, "openspec", items[0]!.path);
      const before = readFileSync(path.join(firstFolder, "proposal.md"), "utf8");
      const err = await c.specs.update
        .mutate({
          id: first.id,
          file: "proposal.md",
          content: "## Why\nEdited during the outage.\n",
          baseHash: first.contentHashes["proposal.md"]!,
        })
        .catch((e: unknown) => e);
      expect((err as { data?: unknown }).data).toMatchObject({
        code: "SERVICE_UNAVAILABLE",
        httpStatus: 503,
      });
      expect((err as Error).message).toMatch(/database is unreachable/);
      expect(readFileSync(path.join(firstFolder, "proposal.md"), "utf8")).toBe(before);
      await new Promise((r) => setTimeout(r, 1500)); // the watcher's syncs fail and back off meanwhile

      pg.start();
      const downMs = Date.now() - downAt;
      // No manual sync: the watcher retries what failed while the database was away.
      const caughtUp = Date.now();
      await waitFor(
        async () => {
          const now = (
            await c.specs.list.query({ projectId: project.id, kind: "change", limit: 50 })
          ).items;
          return (
            now.length === 10 && now.every((i) => i.tasksTotal === 2 && i.tasksCompleted === 1)
          );
        },
        20_000,
        "saves made during the outage to reach the database",
      );
      console.log(
        `database restart: down ${downMs} ms; every save made meanwhile synced ${Date.now() - caughtUp} ms after it was back`,
      );
      for (const n of names) {
        const item = items.find((i) => i.name === n)!;
        expect((await c.specs.get.query({ id: item.id })).files["tasks.md"]).toBe(
          readFileSync(tasksOf(n), "utf8"),
        );
      }
      const refreshed = await c.specs.get.query({ id: first.id });
      expect(refreshed.files["proposal.md"]).toBe(before);

      // Live events flow again (the LISTEN connection came back too), and edits work.
      const seen: string[] = [];
      const sub = c.sync.events.subscribe(undefined, {
        onData: (d) => d.data.specId === first.id && seen.push(d.data.type),
      });
      await new Promise((r) => setTimeout(r, 300));
      await c.specs.update.mutate({
        id: first.id,
        file: "proposal.md",
        content: `${before}\nAfter the outage.\n`,
        baseHash: refreshed.contentHashes["proposal.md"]!,
      });
      await waitFor(() => seen.includes("spec_changed"), 10_000, "an event after the restart");
      sub.unsubscribe();
      expect(readFileSync(path.join(firstFolder, "proposal.md"), "utf8")).toBe(
        `${before}\nAfter the outage.\n`,
      );
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.stop();
      pg.destroy();
    }
  }, 120_000);
});
