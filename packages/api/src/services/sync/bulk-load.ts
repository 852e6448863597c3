import { type Db, type NewSpecRow, openspecSpecs } from "@specsync/db";
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
 * Insert new spec rows in one statement whose only parameter is the rows as one JSON document
 * (`jsonb_populate_recordset`): no per-value parameter building in drizzle or the driver, which
 * cost more Node time (and garbage) than the documents themselves. Rows whose (project, path)
 * exists are skipped; returns the inserted ones.
 */
export async function insertSpecRows(
  tx: Tx,
  rows: NewSpecRow[],
): Promise<{ id: string; path: string }[]> {
  if (!rows.length) return [];
  const used = new Set<string>();
  const docs = rows.map((row) => {
    const doc: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) {
      const column = columnNames.get(key);
      if (column === undefined || value === undefined) continue;
      doc[column] = value;
      used.add(column);
    }
    return doc;
  });
  const list = sql.raw([...used].map((c) => `"${c}"`).join(", "));
  const res = await tx.execute(
    sql`insert into ${openspecSpecs} (${list})
        select ${list} from jsonb_populate_recordset(
          jsonb_populate_record(null::openspec_specs, ${defaults}::jsonb),
          ${JSON.stringify(docs)}::jsonb)
        on conflict (project_id, path) do nothing
        returning id, path`,
  );
  return rowsOf<{ id: string; path: string }>(res);
}

/** `execute` answers an array on postgres.js and `{ rows }` on PGlite. */
function rowsOf<T>(res: unknown): T[] {
  return (Array.isArray(res) ? res : (res as { rows: T[] }).rows) as T[];
}
