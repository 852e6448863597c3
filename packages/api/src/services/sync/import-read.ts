/**
 * A bulk import's reading and parsing of new folders, as one job for a parse-pool worker: the
 * worker reads the files itself and sends back each row already as the JSON text the insert sends
 * (bulk-load.ts), plus the few small fields the event loop needs. So the event loop neither reads
 * the files nor ships their text to the worker, and the rows' nested documents are never cloned
 * onto its heap nor serialised there (nor their garbage collected there).
 */
import path from "node:path";
import { errorMessage } from "../../utils/errors";
import type { FolderRef } from "../../utils/fs/scan-workspace";
import { type DerivedFields, deriveFields, unparsedFields } from "../../utils/openspec";
import type { FileMap } from "../spec-files";
import { readDisk, storableFingerprint } from "./disk";
import { initialStatusColumns, valuesOf } from "./row-values";

/** What every new row of a job shares, and the insert's column name of each row property. */
type NewRowBase = {
  projectId: string;
  /** `lastSyncedAt` (and an archived row's `statusChangedAt`), in ms. */
  now: number;
  columns: readonly (readonly [key: string, column: string])[];
};

/** Read and parse new folders of `openspecDir` (a worker runs it: see parse-worker.ts). */
export type ReadNewJob = { op: "readNew"; dir: string; refs: FolderRef[]; row: NewRowBase };

/**
 * A new row as the insert takes it: `json` is one element of `jsonb_populate_recordset`'s array
 * (column names as keys), `columns` the columns it sets, comma-joined.
 */
export type NewRowText = {
  path: string;
  name: string;
  /** The tracked files (the history row's `filesChanged`). */
  files: string[];
  json: string;
  columns: string;
};

/** Per folder: its row, or null when it needs the careful one-folder path. */
export type ReadNewResult = (NewRowText | null)[];

export function readNewFolders(
  dir: string,
  refs: readonly FolderRef[],
  base: NewRowBase,
): ReadNewResult {
  const columns = new Map(base.columns);
  return refs.map((ref) => readNewFolder(dir, ref, base, columns));
}

function readNewFolder(
  dir: string,
  ref: FolderRef,
  base: NewRowBase,
  columns: ReadonlyMap<string, string>,
): NewRowText | null {
  const folderAbs = path.join(dir, ref.path);
  const disk = readDisk(folderAbs, dir, ref, undefined);
  if (disk.error || ref.viaSymlink !== false) return null;
  const files: FileMap = {};
  for (const [f, d] of disk.files) if (d.content !== undefined) files[f] = d.content;
  // The stats and hashes of the read itself, not taken again (nor the folder listed again).
  const { temps, complete = false } = disk;
  const fingerprint = storableFingerprint(
    folderAbs,
    disk,
    disk.files.keys(),
    temps.length,
    disk.files,
  );
  const derived = derive(ref, files);
  const values = valuesOf(folderAbs, ref, files, disk.files, fingerprint, derived, complete);
  const now = new Date(base.now);
  const row: Record<string, unknown> = {
    ...values,
    projectId: base.projectId,
    kind: ref.kind,
    baseHashes: values.contentHashes,
    lastSyncedAt: now,
    ...initialStatusColumns(ref, values, now),
  };
  const { json, used } = rowJson(row, columns);
  const names = Object.keys(values.contentHashes);
  return { path: ref.path, name: ref.name, files: names, json, columns: used.join(",") };
}

/**
 * A row as `jsonb_populate_recordset` reads it: column names as keys; properties that are not
 * insertable columns, and undefined values, left out (the column then gets its default).
 */
function rowJson(
  row: Record<string, unknown>,
  columns: ReadonlyMap<string, string>,
): { json: string; used: string[] } {
  const doc: Record<string, unknown> = {};
  const used: string[] = [];
  for (const [key, value] of Object.entries(row)) {
    const column = columns.get(key);
    if (column === undefined || value === undefined) continue;
    doc[column] = value;
    used.push(column);
  }
  return { json: JSON.stringify(doc), used };
}

/** Never throws, like deriveFieldsOnPool, and with the message its failed job gives. */
function derive(ref: FolderRef, files: FileMap): DerivedFields {
  try {
    return deriveFields(ref.kind, ref.name, files);
  } catch (err) {
    return unparsedFields(ref.name, `could not parse the files: ${errorMessage(err)}`);
  }
}
