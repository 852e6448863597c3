import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { expect, it } from "vitest";
import { createDb } from "../src";

const ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** The backends of `name` still running `marker`'s statement. */
async function running(admin: postgres.Sql, name: string, marker: string) {
  const rows = await admin`select pid from pg_stat_activity
    where datname = ${name} and state = 'active' and query like ${`%${marker}%`}
      and pid <> pg_backend_pid()`;
  return rows.length;
}

it("PostgreSQL: a statement in flight when the database is closed does not run on", async () => {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  const name = `specsync_t_${randomBytes(5).toString("hex")}`;
  await admin.unsafe(`create database ${name}`);
  const database = await createDb({ url: ADMIN_URL.replace(/\/[^/]*$/, `/${name}`) });
  const marker = `m${randomBytes(4).toString("hex")}`;
  try {
    // Minutes of work in one statement (quadratic text-search parse), as F6's INSERT was.
    void database
      .query(`select length(to_tsvector('simple', repeat('_a', 200000))) as ${marker}`)
      .catch(() => {});
    await expect.poll(() => running(admin, name, marker), { timeout: 10_000 }).toBe(1);
    await database.close();
    await expect.poll(() => running(admin, name, marker), { timeout: 20_000 }).toBe(0);
  } finally {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}, 60_000);
