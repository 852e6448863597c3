/**
 * An archived change's `parsed` (the CLI's show-JSON) is not stored (issue #17): it is a pure
 * derivation of the contents the row keeps, and storing it was ~20 % of a cold import's CPU.
 * Readers that hand out a whole row take it from here.
 */
import type { SpecRow } from "@specsync/db";
import type { ParsedDocument } from "@specsync/validators";
import { deriveFields } from "../../utils/openspec/derive";
import { type ContentOfRow, filesOfRow } from "../spec-files";

/** What deriving a row's `parsed` on read needs of it. */
export type RowWithParsed = ContentOfRow &
  Pick<SpecRow, "name" | "archived" | "parsed" | "parseError" | "contentHashes">;

/**
 * A row's `parsed`: the stored one, else (an archived change) derived from its contents, with
 * the keys in jsonb's order so the answer is the one a stored document gave, byte for byte.
 * A row whose folder was never read (a first read that failed: recordFailure) has neither
 * contents nor a parse error, and had no `parsed` before either: it stays null.
 */
export function parsedOnRead(row: RowWithParsed): ParsedDocument | null {
  if (row.parsed != null || row.kind !== "change" || !row.archived) return row.parsed ?? null;
  if (row.parseError === null && Object.keys(row.contentHashes).length === 0) return null;
  const derived = deriveFields(row.kind, row.name, filesOfRow(row)).parsed;
  return jsonbOrdered(JSON.parse(JSON.stringify(derived))) as ParsedDocument;
}

/** The row with `parsed` derived if it is not stored (the same object when it is). */
export function withParsedOnRead<T extends RowWithParsed>(row: T): T {
  const parsed = parsedOnRead(row);
  return parsed === row.parsed ? row : { ...row, parsed };
}

/**
 * A JSON value with its objects' keys in the order jsonb keeps them (shorter keys first, then
 * by their UTF-8 bytes). Integer-like keys still come first, as in any object JSON.parse makes.
 */
export function jsonbOrdered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(jsonbOrdered);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).map((k) => [k, Buffer.from(k)] as const);
  keys.sort(([, a], [, b]) => a.length - b.length || Buffer.compare(a, b));
  return Object.fromEntries(keys.map(([k]) => [k, jsonbOrdered(o[k])]));
}
