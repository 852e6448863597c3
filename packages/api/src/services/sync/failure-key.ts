/**
 * A failed read of a folder that is on disk: what says "the same failure, nothing moved since"
 * (so an unchanged broken folder is not recorded again on every sync) and its modification time.
 */
import { hash } from "node:crypto";
import { lstatSync, type Stats, statSync } from "node:fs";
import path from "node:path";
import { type FolderRef, listTrackedFiles } from "../../utils/fs/scan-workspace";
import { folderModifiedAt } from "./disk";

export type FailureSeen = { key: string | null; modifiedAt: Date | null };

/** Prefixed so it can never equal a stat fingerprint of a readable folder. */
const PREFIX = "failed:";

function statLine(abs: string): string {
  let s: Stats | undefined;
  try {
    s = statSync(abs, { throwIfNoEntry: false }) ?? lstatSync(abs);
  } catch {
    s = lstatSync(abs, { throwIfNoEntry: false }); // a symlink loop, no permission, …
  }
  return s ? `${s.size}\0${s.mtimeMs}\0${s.ino}\0${s.isDirectory()}` : "-";
}

/**
 * The error with the stats of every tracked entry and of the folder (a file added or removed),
 * including the ones that failed. Null when the folder cannot be listed: record it every time.
 */
export function failureSeen(
  folderAbs: string,
  ref: FolderRef,
  files: ReadonlyMap<string, { stat: Stats }>,
  error: string,
): FailureSeen {
  // Not "complete": the files that failed are missing from `files`; the walk sees them too.
  const modifiedAt = folderModifiedAt(folderAbs, ref, files);
  try {
    let text = `${error}\n${statLine(folderAbs)}\n`;
    for (const f of listTrackedFiles(folderAbs, ref.kind).sort())
      text += `${f}\0${statLine(path.join(folderAbs, f))}\n`;
    return { key: PREFIX + hash("sha1", text, "base64url"), modifiedAt };
  } catch {
    return { key: null, modifiedAt };
  }
}

/** A failure that depends on nothing but its message (a folder that cannot even be stat'ed). */
export function failureOfMessage(error: string): FailureSeen {
  return { key: PREFIX + hash("sha1", error, "base64url"), modifiedAt: null };
}
