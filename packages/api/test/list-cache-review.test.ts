import path from "node:path";
import { runMigrations, sql } from "@specsync/db";
import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

/**
 * Adversarial checks of the `specs.list` cache (list-cache.ts) beyond list-cache.test.ts: the
 * generation is a counter, so anything that puts it back to a value a running server has cached
 * answers under makes those answers current again.
 */
describeEachDb("specs.list cache, generation reuse", (db) => {
  async function setup() {
    const root = tempRepo();
    const name = `add-alpha-${Math.random()}`;
    writeTree(root, changeFiles(name));
    const s = createServices(db().database, { allowedRoots: [path.dirname(root)] });
    const project = await s.sync.ensureProject(root);
    await s.sync.syncProject(project, "startup");
    const input = { projectId: project.id, kind: "change" as const, sort: "name" as const };
    const row = async () => {
      const page = await s.specs.list(input);
      const found = page.items.find((i) => i.name === name);
      if (!found) throw new Error(`no row ${name}`);
      return found;
    };
    const gen = async () =>
      String(
        (await db().database.query<{ g: string }>("select gen::text as g from list_generation"))[0]
          ?.g,
      );
    return { s, row, gen, database: db().database };
  }

  it("never serves an answer cached before a failover that lost the last commits", async () => {
    const { s, row, gen, database } = await setup();
    const before = await row();
    const [{ rank } = { rank: 0 }] = await database.query<{ rank: number }>(
      "select priority_rank as rank from openspec_specs where id = $1",
      [before.id],
    );
    const g0 = await gen();
    // Commit W1 on the primary; this server caches the page showing it.
    await s.specs.setPriority({ id: before.id, priority: "critical" });
    expect((await row()).priority).toBe("critical");
    // Failover to a replica that never received W1 (asynchronous replication loses the last
    // commits): the rows and the counter are as before W1. Replayed here with triggers off, as a
    // replica applies WAL (no triggers fire), and this server stays up, reconnecting.
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(
        sql`update openspec_specs set priority = ${before.priority}, priority_rank = ${rank} where id = ${before.id}`,
      );
      await tx.execute(sql`update list_generation set gen = ${g0}::bigint where id = 1`);
    });
    // A new write on the new primary, acknowledged before the next list call.
    await s.specs.setPriority({ id: before.id, priority: "low" });
    expect((await row()).priority).toBe("low");
  });

  it("shows rows a migration rewrote by DDL, once the migrations have run", async () => {
    const { row, database } = await setup();
    expect((await row()).archivedOn).toBeNull();
    // A migration rolled out by another server starting: DDL that rewrites rows (a type change
    // USING an expression) fires no row trigger. This server keeps running with its cache.
    // (archived_on: no trigger's WHEN names it; sync_error's type is pinned by migration 0019's.)
    await database.query(
      "alter table openspec_specs alter column archived_on type text using coalesce(archived_on, 'migrated')",
    );
    await runMigrations(database);
    expect((await row()).archivedOn).toBe("migrated");
  });

  it("drops a claim cleared by TRUNCATE, and ignores a rolled-back write", async () => {
    const { s, row, database } = await setup();
    const { id } = await row();
    await s.claims.claim({ id, owner: "agent-t", leaseSeconds: 600 });
    expect((await row()).claimedBy).toBe("agent-t");
    await database.query("truncate change_claims");
    expect((await row()).claimedBy).toBeNull();
    await expect(
      database.db.transaction(async (tx) => {
        await tx.execute(sql`update openspec_specs set title = 'rolled back' where id = ${id}`);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect((await row()).title).not.toBe("rolled back");
  });
});
