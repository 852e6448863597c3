import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { createDb, type Database, runMigrations } from "../src";

const ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const MIB = 1024 * 1024;

/** 1 MiB files on which PostgreSQL's text-search parser is quadratic (outside-test F6): before
 * migration 0020 one INSERT of the first took ~20 minutes on PostgreSQL. */
const hostile = { underscore: "_a", hostish: "x_a-", comment: "<!--" };
const fill = (unit: string) => unit.repeat(Math.ceil(MIB / unit.length)).slice(0, MIB);

/** Insert one change per hostile text (its vector computed by the trigger) and answer which rows'
 * vectors hold the marker word written before the hostile part. */
async function insertHostile(database: Database) {
  const [p] = await database.query<{ id: string }>(
    "insert into projects (name, root_path) values ('p', '/p') returning id",
  );
  for (const [name, unit] of Object.entries(hostile)) {
    await database.query(
      `insert into openspec_specs (project_id, kind, name, path, proposal_content)
       values ($1, 'change', $2, $3, $4)`,
      [p?.id, name, `changes/${name}`, `## Why\nzebrafinch ${fill(unit)}`],
    );
  }
  const rows = await database.query<{ name: string }>(
    "select name from openspec_specs where search @@ to_tsquery('english', 'zebrafinch') " +
      "order by name",
  );
  return rows.map((r) => r.name);
}

describe("search vector of a crafted file is built in bounded time (migration 0020)", () => {
  it("PostgreSQL: each 1 MiB hostile change is stored with its vector", async () => {
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    const name = `specsync_t_${randomBytes(5).toString("hex")}`;
    await admin.unsafe(`create database ${name}`);
    const database = await createDb({ url: ADMIN_URL.replace(/\/[^/]*$/, `/${name}`) });
    try {
      await runMigrations(database);
      expect(await insertHostile(database)).toEqual(Object.keys(hostile).sort());
    } finally {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }, 180_000);

  it("PGlite: each 1 MiB hostile change is stored with its vector", async () => {
    const database = await createDb({ dataDir: "memory://" });
    try {
      await runMigrations(database);
      expect(await insertHostile(database)).toEqual(Object.keys(hostile).sort());
    } finally {
      await database.close();
    }
  }, 180_000);

  it("leaves ordinary text as it is and cuts only what the parser cannot take", async () => {
    const database = await createDb({ dataDir: "memory://" });
    try {
      await runMigrations(database);
      const cut = async (t: string) =>
        (await database.query<{ s: string }>("select openspec_search_text($1) as s", [t]))[0]?.s;
      const prose = "See <!-- note --> the `src/a_b.ts` file at https://x.y/a_b?c=d.\n- [ ] task";
      expect(await cut(prose)).toBe(prose);
      expect(await cut("a <!-- b --> c <!-- d")).toBe("a <!-- b --> c <!- - d");
      expect(await cut("_a".repeat(100))).toBe(`${"_a".repeat(64)} ${"_a".repeat(36)}`);
    } finally {
      await database.close();
    }
  });
});
