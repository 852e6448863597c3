/**
 * A bulk import's reading and parsing of new folders, as one job for a parse-pool worker: the
 * worker reads the files itself and sends back the batch's rows already as the one JSON text the
 * insert sends (bulk-load.ts), plus the few small fields the event loop needs. So the event loop
 * neither reads the files nor ships their text to the worker, and the rows' nested documents are
 * never cloned onto its heap nor serialised there (nor their garbage collected there).
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

/** What the event loop keeps of a new row: the history row's and the outcome's fields. */
export type NewRow = {
  path: string;
  name: string;
  /** The tracked files (the history row's `filesChanged`). */
  files: string[];
};

/**
 * A job's rows: per folder its row, or null when it needs the careful one-folder path; `json` is
 * the array `jsonb_populate_recordset` takes, of the non-null rows in order (column names as
 * keys), one string for the batch; `columns` the columns they set, comma-joined.
 */
export type ReadNewResult = { rows: (NewRow | null)[]; json: string; columns: string };

export function readNewFolders(
  dir: string,
  refs: readonly FolderRef[],
  base: NewRowBase,
): ReadNewResult {
  const columns = new Map(base.columns);
  const rows: (NewRow | null)[] = [];
  const docs: Record<string, unknown>[] = [];
  const used = new Set<string>();
  for (const ref of refs) {
    const read = readNewFolder(dir, ref, base, columns, used);
    rows.push(read && { path: ref.path, name: ref.name, files: read.files });
    if (read) docs.push(read.doc);
  }
  // One stringify of the batch: no 23 KB string a row, nor their join into a copy of them all.
  return { rows, json: JSON.stringify(docs), columns: [...used].join(",") };
}

/** Rows of several jobs as one (a batch read a folder a job). */
export function joinReads(reads: readonly ReadNewResult[]): ReadNewResult {
  const inner = reads.map((r) => r.json.slice(1, -1)).filter((j) => j.length > 0);
  const columns = new Set(reads.flatMap((r) => (r.columns ? r.columns.split(",") : [])));
  return {
    rows: reads.flatMap((r) => r.rows),
    json: `[${inner.join(",")}]`,
    columns: [...columns].join(","),
  };
}

function readNewFolder(
  dir: string,
  ref: FolderRef,
  base: NewRowBase,
  columns: ReadonlyMap<string, string>,
  used: Set<string>,
): { files: string[]; doc: Record<string, unknown> } | null {
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
  return { files: Object.keys(values.contentHashes), doc: rowDoc(row, columns, used) };
}

/**
 * A row as `jsonb_populate_recordset` reads it: column names as keys; properties that are not
 * insertable columns, and undefined values, left out (the column then gets its default).
 */
function rowDoc(
  row: Record<string, unknown>,
  columns: ReadonlyMap<string, string>,
  used: Set<string>,
): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    const column = columns.get(key);
    if (column === undefined || value === undefined) continue;
    doc[column] = value;
    used.add(column);
  }
  return doc;
}

/** Never throws, like deriveFieldsOnPool, and with the message its failed job gives. */
function derive(ref: FolderRef, files: FileMap): DerivedFields {
  try {
    return deriveFields(ref.kind, ref.name, files);
  } catch (err) {
    return unparsedFields(ref.name, `could not parse the files: ${errorMessage(err)}`);
  }
}
