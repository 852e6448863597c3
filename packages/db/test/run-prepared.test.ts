import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { createDb, type Database } from "../src";

const ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/** Parameters of the kinds the save's statements send: text, JSON text, null, a number. */
const statement = () =>
  sql`select ${"a"}::text as t, ${JSON.stringify({ f: "x" })}::jsonb as j, ${null}::text as n,
    ${7}::bigint as b, ${"2026-01-01T00:00:00.000Z"}::timestamptz is not null as d`;

async function sameRowsAsExecute(database: Database) {
  const raw = (await database.db.execute(statement())) as unknown as
    | Record<string, unknown>[]
    | { rows: Record<string, unknown>[] };
  const executed = Array.isArray(raw) ? [...raw] : raw.rows;
  expect(await database.run(statement())).toEqual(executed);
}

it("PostgreSQL: `run` prepares its statement (one round trip once a connection has run it) and answers the rows `db.execute` does", async () => {
  // One connection: the statements it prepared are the ones this session lists.
  const database = await createDb({ url: ADMIN_URL, maxConnections: 1 });
  try {
    await sameRowsAsExecute(database);
    await database.run(statement());
    const prepared = await database.query<{ statement: string }>(
      "select statement from pg_prepared_statements",
    );
    // drizzle's own statement (`db.execute`) is unnamed: it is not among them.
    expect(prepared.map((p) => p.statement)).toEqual([
      "select $1::text as t, $2::jsonb as j, $3::text as n,\n    $4::bigint as b, $5::timestamptz is not null as d",
    ]);
  } finally {
    await database.close();
  }
});

it("PGlite: `run` answers the rows `db.execute` does", async () => {
  const database = await createDb();
  try {
    await sameRowsAsExecute(database);
  } finally {
    await database.close();
  }
}, 240_000);
