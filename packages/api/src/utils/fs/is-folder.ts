import { statSync } from "node:fs";

/**
 * Whether a directory is at `abs` (following symlinks). A file where a change or spec folder was
 * is no folder: `openspec list` skips it, so the sync takes the folder for removed (existsSync
 * would say it is there and import it as an empty folder).
 */
export function isFolder(abs: string): boolean {
  try {
    return statSync(abs, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false; // ENOTDIR on the way, no permission: not a folder we can read
  }
}
