import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { createDb, type Database, runMigrations } from "../src";

const ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** A large, compressible document, as a change's texts and `parsed` JSON are. */
const big = Array.from({ length: 3000 }, (_, i) => `- [ ] task ${i % 97} of the change`).join("\n");

/** Insert one change row with large values; answer how each was stored and what reads back. */
async function storeBig(database: Database) {
  const [p] = await database.query<{ id: string }>(
    "insert into projects (name, root_path) values ('p', '/p') returning id",
  );
  await database.query(
    `insert into openspec_specs (project_id, kind, name, path, proposal_content, parsed)
     values ($1, 'change', 'c', 'changes/c', $2, $3::jsonb)`,
    [p?.id, big, JSON.stringify({ tasks: big.split("\n") })],
  );
  const [row] = await database.query<{
    proposal: string;
    tasks: number;
    c1: string | null;
    c2: string | null;
  }>(
    `select proposal_content as proposal, jsonb_array_length(parsed->'tasks') as tasks,
       pg_column_compression(proposal_content) as c1, pg_column_compression(parsed) as c2
     from openspec_specs`,
  );
  return row;
}

describe("large columns' TOAST compression (migration 0017)", () => {
  it("PostgreSQL with lz4: new values are stored lz4 and read back unchanged", async () => {
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    const name = `specsync_t_${randomBytes(5).toString("hex")}`;
    await admin.unsafe(`create database ${name}`);
    const database = await createDb({ url: ADMIN_URL.replace(/\/[^/]*$/, `/${name}`) });
    try {
      await runMigrations(database);
      const [{ lz4 } = { lz4: false }] = await database.query<{ lz4: boolean }>(
        "select exists (select from pg_attribute where attrelid = 'openspec_specs'::regclass " +
          "and attname = 'parsed' and attcompression = 'l') as lz4",
      );
      expect(lz4).toBe(true);
      const row = await storeBig(database);
      expect(row?.proposal).toBe(big);
      expect(row?.tasks).toBe(3000);
      expect([row?.c1, row?.c2]).toEqual(["lz4", "lz4"]);
    } finally {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });

  it("PGlite (built without lz4): the migration applies and values stay pglz", async () => {
    const database = await createDb({ dataDir: "memory://" });
    try {
      await runMigrations(database);
      const row = await storeBig(database);
      expect(row?.proposal).toBe(big);
      expect(row?.tasks).toBe(3000);
      expect([row?.c1, row?.c2]).toEqual(["pglz", "pglz"]);
    } finally {
      await database.close();
    }
  });
});
