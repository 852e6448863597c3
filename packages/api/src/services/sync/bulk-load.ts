import { type Db, openspecSpecs, syncHistory } from "@specsync/db";
import { getTableColumns, is, SQL, sql } from "drizzle-orm";

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

const writable = Object.entries(getTableColumns(openspecSpecs)).filter(
  ([key, column]) => key !== "search" && !column.generated,
);
/** Property name → column name, for every column an INSERT may write (not the generated ones). */
const columnNames = new Map(writable.map(([key, column]) => [key, column.name]));
/**
 * The schema's literal defaults, as the base record: a key a row leaves out (a spec has no delta
 * specs) gets its default, as drizzle's DEFAULT would give it, not NULL. SQL defaults (ids, times)
 * are never sent.
 */
const defaults = JSON.stringify(
  Object.fromEntries(
    writable.flatMap(([, c]) =>
      c.hasDefault && !is(c.default, SQL) && c.default !== undefined ? [[c.name, c.default]] : [],
    ),
  ),
);

/**
 * Property name → column name of every column a new row may set, as a pool job carries it (the
 * worker builds the rows' JSON: import-read.ts) — the schema is not loaded there.
 */
export const insertColumns: readonly (readonly [string, string])[] = [...columnNames];

/**
 * Insert new spec rows in one statement whose only parameter is the rows as one JSON document
 * (`jsonb_populate_recordset`): no per-value parameter building in drizzle or the driver, which
 * cost more Node time (and garbage) than the documents themselves. The batch comes as one JSON
 * text (the pool worker that read it serialised it: import-read.ts), or as its UTF-8 bytes
 * (PGlite). Rows whose (project, path) exists are skipped; returns the inserted ones.
 */
export async function insertSpecRows(
  tx: Tx,
  batch: { json: string | Uint8Array; columns: string; createdAt: Date },
): Promise<{ id: string; path: string }[]> {
  if (!batch.columns) return [];
  const used = batch.columns.split(",");
  const list = sql.raw([...used].map((c) => `"${c}"`).join(", "));
  const created = batch.createdAt.toISOString();
  // UTF-8 bytes go as a text parameter (PGlite: packages/db client.ts), then become jsonb.
  const doc = typeof batch.json === "string" ? sql`${batch.json}` : sql`${batch.json}::text`;
  const res = await tx.execute(
    sql`insert into ${openspecSpecs} (${list}, created_at)
        select ${list}, ${created}::timestamptz from jsonb_populate_recordset(
          jsonb_populate_record(null::openspec_specs, ${defaults}::jsonb),
          ${doc}::jsonb)
        on conflict (project_id, path) do nothing
        returning id, path`,
  );
  return rowsOf<{ id: string; path: string }>(res);
}

/** Property name → column name of the history columns an INSERT may write. */
const historyColumns = new Map(
  Object.entries(getTableColumns(syncHistory)).flatMap(([key, column]) =>
    column.generated || column.generatedIdentity ? [] : [[key, column.name] as const],
  ),
);

/**
 * Insert history rows that all set the same columns in one statement with one JSON parameter, as
 * above: drizzle's per-value SQL building for a batch's 50 rows cost the event loop more than the
 * statement. Returns each row's id.
 */
export async function insertHistoryRows(
  tx: Tx,
  rows: readonly (typeof syncHistory.$inferInsert)[],
): Promise<{ id: number; specId: string | null }[]> {
  const first = rows[0];
  if (!first) return [];
  const keys = Object.keys(first).filter((k) => historyColumns.has(k));
  const names = keys.map((k) => historyColumns.get(k) ?? k);
  const docs = rows.map((row) => {
    const doc: Record<string, unknown> = {};
    for (const [i, key] of keys.entries()) doc[names[i] ?? key] = row[key as keyof typeof row];
    return doc;
  });
  const list = sql.raw(names.map((c) => `"${c}"`).join(", "));
  const res = await tx.execute(
    sql`insert into ${syncHistory} (${list})
        select ${list}
          from jsonb_populate_recordset(null::sync_history, ${JSON.stringify(docs)}::jsonb)
        returning id, spec_id`,
  );
  // int8 comes back as a string from postgres.js.
  return rowsOf<{ id: number | string; spec_id: string | null }>(res).map((r) => ({
    id: Number(r.id),
    specId: r.spec_id,
  }));
}

/** `execute` answers an array on postgres.js and `{ rows }` on PGlite. */
function rowsOf<T>(res: unknown): T[] {
  return (Array.isArray(res) ? res : (res as { rows: T[] }).rows) as T[];
}
