/**
 * A folder's row values with its fields derived on the parse pool (big folders off the event loop).
 * Apart from row-values.ts because the pool's worker imports that module.
 */
import type { FolderRef } from "../../utils/fs/scan-workspace";
import { deriveFieldsOffThread, deriveFieldsOnPool } from "../parse-pool";
import type { FileMap } from "../spec-files";
import { storedParsed, valuesOf, withNested } from "./row-values";
import type { DiskFile } from "./types";

/**
 * Everything a row holds that comes from its folder's files (big folders parsed off the event
 * loop; every folder with `onPool`).
 */
export async function folderValues(
  folderAbs: string,
  ref: FolderRef,
  files: FileMap,
  disk: ReadonlyMap<string, DiskFile>,
  fingerprint: string | null,
  opts: { onPool?: boolean } = {},
) {
  const derive = opts.onPool ? deriveFieldsOnPool : deriveFieldsOffThread;
  const derived = await derive(ref.kind, ref.name, files);
  return valuesOf(folderAbs, ref, files, disk, fingerprint, derived);
}

/**
 * The parsed structure a folder's row stores (with its nested changes, if it only wraps some;
 * none for an archived change: storedParsed).
 */
export async function parsedOf(folderAbs: string, ref: FolderRef, files: FileMap) {
  const derived = await deriveFieldsOffThread(ref.kind, ref.name, files);
  return storedParsed(ref, derived, withNested(folderAbs, ref, files, derived.parsed));
}
