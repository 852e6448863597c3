/**
 * An archived change's `parsed` (the CLI's show-JSON) is not stored (issue #17): it is a pure
 * derivation of the contents the row keeps, and storing it cost 10–15 % of a cold import's CPU
 * (docs/performance.md, session 22).
 * Only readers that hand out a whole row take it from here (`OpenSpecSyncService.getRowWithParsed`,
 * `specs.setStatus`/`setPriority`); the others read the row without `parsed` (getRow).
 */
import type { SpecRow } from "@specsync/db";
import type { ParsedDocument } from "@specsync/validators";
import { deriveFields } from "../../utils/openspec/derive";
import { deriveFieldsOffThread } from "../parse-pool";
import { type ContentOfRow, filesOfRow } from "../spec-files";

/** What deriving a row's `parsed` on read needs of it. */
export type RowWithParsed = ContentOfRow &
  Pick<SpecRow, "name" | "archived" | "parsed" | "parseError" | "contentHashes">;

let derives = 0;
/**
 * How many rows had their `parsed` derived in this process: tests count it to show that a reader
 * which hands no row out derives none.
 */
export const derivedOnRead = (): number => derives;

/**
 * Whether a row's `parsed` is derived on read: an archived change that stores none. A row whose
 * folder was never read (a first read that failed: recordFailure) has neither contents nor a
 * parse error, and had no `parsed` before either: it stays null.
 */
function derivesOnRead(row: RowWithParsed): boolean {
  if (row.parsed != null || row.kind !== "change" || !row.archived) return false;
  return row.parseError !== null || Object.keys(row.contentHashes).length > 0;
}

/**
 * A derived document as a stored one reads back: JSON values only, keys in jsonb's order, so the
 * answer is the one the stored jsonb gave, byte for byte.
 */
const asStored = (parsed: ParsedDocument): ParsedDocument =>
  jsonbOrdered(JSON.parse(JSON.stringify(parsed))) as ParsedDocument;

/** A row's `parsed`: the stored one, else (derivesOnRead) derived from its contents. */
export function parsedOnRead(row: RowWithParsed): ParsedDocument | null {
  if (!derivesOnRead(row)) return row.parsed ?? null;
  derives++;
  return asStored(deriveFields(row.kind, row.name, filesOfRow(row)).parsed);
}

/**
 * The row with `parsed` derived if it is not stored (the same object when it is). The parse is
 * the one the sync runs (big folders on the parse pool, off the event loop).
 */
export async function withParsedOnRead<T extends RowWithParsed>(row: T): Promise<T> {
  if (!derivesOnRead(row)) return row;
  derives++;
  const derived = await deriveFieldsOffThread(row.kind, row.name, filesOfRow(row));
  return { ...row, parsed: asStored(derived.parsed) };
}

/**
 * A JSON value with its objects' keys in the order jsonb keeps them (shorter keys first, then
 * by their UTF-8 bytes). Integer-like keys still come first, as in any object JSON.parse makes.
 */
function jsonbOrdered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonbOrdered);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).map((k) => [k, Buffer.from(k)] as const);
  keys.sort(([, a], [, b]) => a.length - b.length || Buffer.compare(a, b));
  return Object.fromEntries(keys.map(([k]) => [k, jsonbOrdered(o[k])]));
}
