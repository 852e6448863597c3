import {
  changeFiles,
  cleanupTempRepos,
  createTestDb,
  postgresReachable,
  tempRepo,
  writeTree,
} from "@specsync/api/testing";
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer } from "../testing";

afterAll(cleanupTempRepos);
const pgOk = await postgresReachable();
if (!pgOk && process.env.CI) throw new Error("PostgreSQL must be reachable in CI");

describe.skipIf(!pgOk)("claiming work from two servers on one PostgreSQL", () => {
  it("20 concurrent claimers on each of 2 instances: every change handed out once, the rest told there is nothing left", async () => {
    const testDb = await createTestDb("postgres");
    const root = tempRepo();
    const names = Array.from({ length: 30 }, (_, i) => `add-work-${String(i).padStart(2, "0")}`);
    for (const [i, n] of names.entries()) {
      // Each change its own capability: no overlaps, so only the claim decides.
      const files = changeFiles(n);
      const delta = files[`changes/${n}/specs/demo/spec.md`]!;
      delete files[`changes/${n}/specs/demo/spec.md`];
      writeTree(root, { ...files, [`changes/${n}/specs/cap-${i}/spec.md`]: delta });
    }
    const a = await startTestServer({ databaseUrl: testDb.url, projects: [root] });
    const b = await startTestServer({ databaseUrl: testDb.url, projects: [root] });
    try {
      const project = (await a.client.projects.list.query()).find((p) => p.rootPath === root)!;
      const { items } = await a.client.specs.list.query({
        projectId: project.id,
        kind: "change",
        limit: 100,
      });
      expect(items).toHaveLength(30);
      await Promise.all(
        items.map((i) => a.client.specs.setStatus.mutate({ id: i.id, status: "approved" })),
      );

      const claimers = Array.from({ length: 40 }, (_, i) => {
        const server = i % 2 ? b : a;
        return server.client.agents.nextWork.mutate({
          projectId: project.id,
          owner: `agent-${i}`,
          claim: true,
          leaseSeconds: 600,
        });
      });
      const results = await Promise.all(claimers);
      const got = results.map((r) => r.change?.name).filter((n): n is string => !!n);
      expect(got).toHaveLength(30);
      expect(new Set(got).size).toBe(30);
      expect(results.filter((r) => !r.change)).toHaveLength(10);
      // The database agrees: 30 claims, each held by the agent that was told it got it.
      const claimed = await b.client.specs.list.query({
        projectId: project.id,
        claimed: true,
        limit: 100,
      });
      expect(claimed.items).toHaveLength(30);
      const ownerOf = new Map(
        results.filter((r) => r.change).map((r) => [r.change!.name, r.claim!.owner]),
      );
      for (const item of claimed.items) expect(item.claimedBy).toBe(ownerOf.get(item.name));
    } finally {
      await a.stop();
      await b.stop();
      await testDb.drop();
    }
  }, 120_000);
});
