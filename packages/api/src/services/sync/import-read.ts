/**
 * A bulk import's reading and parsing of new folders, as one job for a parse-pool worker: the
 * worker reads the files itself and sends back only the rows' values, so the event loop neither
 * reads the files nor ships their text to the worker (nor collects that garbage).
 */
import path from "node:path";
import { errorMessage } from "../../utils/errors";
import type { FolderRef } from "../../utils/fs/scan-workspace";
import { type DerivedFields, deriveFields, unparsedFields } from "../../utils/openspec";
import type { FileMap } from "../spec-files";
import { readDisk, storableFingerprint } from "./disk";
import { type FolderValues, valuesOf } from "./row-values";

/** Read and parse new folders of `openspecDir` (a worker runs it: see parse-worker.ts). */
export type ReadNewJob = { op: "readNew"; dir: string; refs: FolderRef[] };

/** Per folder: its row's values, or null when it needs the careful one-folder path. */
export type ReadNewResult = (FolderValues | null)[];

export function readNewFolders(dir: string, refs: readonly FolderRef[]): ReadNewResult {
  return refs.map((ref) => readNewFolder(dir, ref));
}

function readNewFolder(dir: string, ref: FolderRef): FolderValues | null {
  const folderAbs = path.join(dir, ref.path);
  const disk = readDisk(folderAbs, dir, ref, undefined);
  if (disk.error || ref.viaSymlink !== false) return null;
  const files: FileMap = {};
  for (const [f, d] of disk.files) if (d.content !== undefined) files[f] = d.content;
  const fingerprint = storableFingerprint(folderAbs, disk, disk.files.keys(), disk.temps.length);
  return valuesOf(folderAbs, ref, files, disk.files, fingerprint, derive(ref, files));
}

/** Never throws, like deriveFieldsOnPool, and with the message its failed job gives. */
function derive(ref: FolderRef, files: FileMap): DerivedFields {
  try {
    return deriveFields(ref.kind, ref.name, files);
  } catch (err) {
    return unparsedFields(ref.name, `could not parse the files: ${errorMessage(err)}`);
  }
}
