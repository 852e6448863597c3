/** What a row holds that comes from its folder: content, parsed fields, hashes, stats. */
import path from "node:path";
import { initialStatusFor, type ParsedDocument } from "@specsync/validators";
import { findNestedChanges } from "../../utils/fs/change-folder";
import type { FolderRef } from "../../utils/fs/scan-workspace";
import type { DerivedFields } from "../../utils/openspec";
import { contentColumns, type FileMap, hashFiles } from "../spec-files";
import { fileStats, folderModifiedAt } from "./disk";
import type { DiskFile } from "./types";

export type FolderValues = ReturnType<typeof valuesOf>;

/**
 * Everything a row holds that comes from its folder's files, from fields already derived (on the
 * pool: derive-values.ts; a bulk import's worker derives them inline). No pool import here: the
 * pool's worker runs this module.
 */
export function valuesOf(
  folderAbs: string,
  ref: FolderRef,
  files: FileMap,
  disk: ReadonlyMap<string, DiskFile>,
  fingerprint: string | null,
  derived: DerivedFields,
) {
  return {
    ...contentColumns(ref.kind, files),
    ...derived,
    parsed: withNested(folderAbs, ref, files, derived.parsed),
    name: ref.name,
    path: ref.path,
    archived: ref.archived,
    archivedOn: ref.archivedOn,
    contentHashes: hashFiles(files),
    fileStats: fileStats(disk),
    statFingerprint: fingerprint,
    fileModifiedAt: folderModifiedAt(folderAbs, ref, disk),
  };
}

/** Record nested change folders (only possible when the folder has no tracked file of its own). */
export function withNested(
  folderAbs: string,
  ref: FolderRef,
  files: FileMap,
  parsed: ParsedDocument,
): ParsedDocument {
  if (ref.kind !== "change" || ref.archived || Object.keys(files).length) return parsed;
  const nested = findNestedChanges(path.dirname(folderAbs), path.basename(folderAbs));
  return nested ? { ...parsed, nested } : parsed;
}

/** Who set the status of a row whose folder is in `changes/archive/` (nobody in specsync did). */
export const ARCHIVED_ON_DISK = "specsync (archived on disk)";

/** A new row's status columns: from its folder's stage; an archived one says where that came from. */
export function initialStatusColumns(
  ref: FolderRef,
  values: { tasksTotal?: number; tasksCompleted?: number },
  now: Date,
) {
  const status = initialStatusFor(derivedStage(ref, values));
  return status === "archived"
    ? { status, statusChangedAt: now, statusChangedBy: ARCHIVED_ON_DISK }
    : { status };
}

/** What the stage of a newly imported folder is computed from (its status starts from it). */
function derivedStage(ref: FolderRef, values: { tasksTotal?: number; tasksCompleted?: number }) {
  return {
    archived: ref.archived,
    tasksTotal: values.tasksTotal ?? 0,
    tasksCompleted: values.tasksCompleted ?? 0,
  };
}
