/** What a row holds that comes from its folder: content, parsed fields, hashes, stats. */
import path from "node:path";
import { initialStatusFor, type ParsedDocument } from "@specsync/validators";
import { findNestedChanges } from "../../utils/fs/change-folder";
import type { FolderRef } from "../../utils/fs/scan-workspace";
import { sha256 } from "../../utils/hash";
import type { DerivedFields } from "../../utils/openspec";
import { contentColumns, type FileMap } from "../spec-files";
import { fileStats, folderModifiedAt } from "./disk";
import type { DiskFile } from "./types";

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
  /** The read listed every entry under the folder (DiskRead.complete). */
  complete = false,
) {
  return {
    ...contentColumns(ref.kind, files),
    ...derived,
    parsed: storedParsed(ref, derived, withNested(folderAbs, ref, files, derived.parsed)),
    name: ref.name,
    path: ref.path,
    archived: ref.archived,
    archivedOn: ref.archivedOn,
    contentHashes: hashesOf(files, disk),
    fileStats: fileStats(disk),
    statFingerprint: fingerprint,
    fileModifiedAt: folderModifiedAt(folderAbs, ref, disk, complete),
  };
}

/**
 * The contents' hashes: the read's own where the content is the one it decoded (strict UTF-8,
 * BOM kept, so the bytes' hash is the text's: utils/hash.ts), hashed here otherwise.
 */
function hashesOf(files: FileMap, disk: ReadonlyMap<string, DiskFile>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, content] of Object.entries(files)) {
    const read = disk.get(file);
    out[file] = read?.content === content ? read.hash : sha256(content);
  }
  return out;
}

/**
 * The `parsed` a row stores: none for an archived change (issue #17; derived on read,
 * parsed-on-read.ts), except when its files could not be parsed at all (`unparsedFields`: the
 * worker failed or timed out), whose error a parse on read would not give. `nested` needs no
 * exception: it is only ever recorded for an active change (withNested).
 */
export function storedParsed(
  ref: { kind: FolderRef["kind"]; archived: boolean },
  derived: Pick<DerivedFields, "parseError">,
  parsed: ParsedDocument,
): ParsedDocument | null {
  if (ref.kind !== "change" || !ref.archived) return parsed;
  return unparsed(parsed, derived.parseError) ? parsed : null;
}

/**
 * Fields from `unparsedFields`: the only ones whose parse error is the show error itself (a
 * parse's own error names its file: "proposal.md: …", "spec.md: …").
 */
const unparsed = (parsed: ParsedDocument, parseError: string | null) =>
  parsed.show === null && parsed.showError !== null && parsed.showError === parseError;

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
