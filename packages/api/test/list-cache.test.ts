import path from "node:path";
import { createDb, type Database } from "@specsync/db";
import { afterAll, expect, it } from "vitest";
import { createServices } from "../src";
import { describeEachDb } from "../testing/each-db";
import { changeFiles, cleanupTempRepos, tempRepo, writeTree } from "../testing/workspace";

afterAll(cleanupTempRepos);

/**
 * The `specs.list` cache (list-cache.ts) must never answer with a page older than a write that was
 * acknowledged before the request: writes through this server, through another server on the
 * same database (PostgreSQL), or by plain SQL; and a claim shown must vanish when it expires.
 */
describeEachDb("specs.list cache", (db, driver) => {
  const extra: Database[] = [];
  afterAll(async () => {
    for (const d of extra) await d.close();
  });

  async function setup() {
    const root = tempRepo();
    const names = ["add-alpha", "add-beta", "fix-gamma"].map((n) => `${n}-${Math.random()}`);
    writeTree(root, Object.assign({}, ...names.map((n) => changeFiles(n))));
    const a = createServices(db().database, { allowedRoots: [path.dirname(root)] });
    const project = await a.sync.ensureProject(root);
    await a.sync.syncProject(project, "startup");
    // A second server on the same database: its own pool (PostgreSQL); PGlite is one process.
    let b = a;
    const url = db().url;
    if (driver === "postgres" && url) {
      const other = await createDb({ url });
      extra.push(other);
      b = createServices(other, { allowedRoots: [path.dirname(root)] });
    }
    const input = { projectId: project.id, kind: "change" as const, sort: "name" as const };
    const page = (s = a) => s.specs.list({ ...input, withFacets: true });
    const first = await page();
    const id = (name: string) => {
      const row = first.items.find((i) => i.name === name);
      if (!row) throw new Error(`no row ${name}`);
      return row.id;
    };
    return { a, b, page, id, names, database: db().database };
  }

  it("serves the same frozen answer while nothing is written", async () => {
    const { page } = await setup();
    const one = await page();
    const two = await page();
    expect(two).toBe(one);
    expect(Object.isFrozen(one.items[0])).toBe(true);
    expect(() => {
      (one.items as unknown as unknown[]).pop();
    }).toThrow();
  });

  it("shows a write made through the other server as soon as it is acknowledged", async () => {
    const { a, b, page, id, names } = await setup();
    const [alpha, beta] = names as [string, string];
    await page();
    await b.specs.setStatus({ id: id(alpha), status: "approved" });
    let now = await page();
    expect(now.items.find((i) => i.name === alpha)?.status).toBe("approved");
    expect(now.facets?.status.approved).toBe(1);
    await b.claims.claim({ id: id(beta), owner: "agent-b", leaseSeconds: 600 });
    now = await page();
    expect(now.items.find((i) => i.name === beta)?.claimedBy).toBe("agent-b");
    await b.claims.release({ id: id(beta), owner: "agent-b" });
    expect((await page()).items.find((i) => i.name === beta)?.claimedBy).toBeNull();
    // And a write on this server, for the same server's cache.
    await a.specs.setPriority({ id: id(beta), priority: "high" });
    expect((await page(b)).items.find((i) => i.name === beta)?.priority).toBe("high");
    expect((await page()).items.find((i) => i.name === beta)?.priority).toBe("high");
  });

  it("shows writes made by plain SQL, and sync check times", async () => {
    const { page, id, names, database } = await setup();
    const gamma = names[2] as string;
    await page();
    await database.query("update openspec_specs set title = 'Renamed by SQL' where id = $1", [
      id(gamma),
    ]);
    expect((await page()).items.find((i) => i.name === gamma)?.title).toBe("Renamed by SQL");
    const later = new Date(Date.now() + 3_600_000);
    await database.query(
      `insert into sync_checks (spec_id, checked_at) values ($1, $2)
       on conflict (spec_id) do update set checked_at = excluded.checked_at`,
      [id(gamma), later.toISOString()],
    );
    const row = (await page()).items.find((i) => i.name === gamma);
    expect(row?.lastSyncedAt?.getTime()).toBe(later.getTime());
  });

  it("drops a claim from the page when it expires, with no write in between", async () => {
    const { page, id, names, database } = await setup();
    const alpha = names[0] as string;
    await database.query(
      `insert into change_claims (spec_id, owner, expires_at)
       values ($1, 'short', now() + interval '1500 milliseconds')`,
      [id(alpha)],
    );
    expect((await page()).items.find((i) => i.name === alpha)?.claimedBy).toBe("short");
    expect((await page()).items.find((i) => i.name === alpha)?.claimedBy).toBe("short");
    await new Promise((r) => setTimeout(r, 1800));
    expect((await page()).items.find((i) => i.name === alpha)?.claimedBy).toBeNull();
  });

  it("never serves a page older than an acknowledged write, under concurrent readers", async () => {
    const { b, page, id, names } = await setup();
    const alpha = names[0] as string;
    let stop = false;
    let reads = 0;
    // Readers keep the cache and its generation reads busy while the writes commit.
    const readers = Array.from({ length: 8 }, async () => {
      while (!stop) {
        await page();
        reads++;
        // A hit may settle without I/O: let the writer's I/O run.
        await new Promise((r) => setImmediate(r));
      }
    });
    const priorities = ["low", "medium", "high", "critical"] as const;
    try {
      for (let i = 0; i < 24; i++) {
        const priority = priorities[i % priorities.length] ?? "low";
        await b.specs.setPriority({ id: id(alpha), priority });
        const seen = await page();
        expect(seen.items.find((r) => r.name === alpha)?.priority).toBe(priority);
        expect(seen.facets?.priority[priority]).toBeGreaterThanOrEqual(1);
      }
    } finally {
      stop = true;
      await Promise.all(readers);
    }
    expect(reads).toBeGreaterThan(0);
  });
});
