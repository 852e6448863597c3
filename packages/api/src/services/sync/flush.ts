/** Database → disk: guarded atomic writes and deletions, each re-checked against the base first. */
import { statSync } from "node:fs";
import { errorMessage, SpecsyncError } from "../../utils/errors";
import {
  type AtomicWriteResult,
  type PreparedWrite,
  prepareAtomicWrite,
  removeStaleTempFiles,
  writeFileAtomic,
} from "../../utils/fs/atomic-write";
import { unlinkConfined } from "../../utils/fs/safe-open";
import { resolveInside } from "../../utils/fs/safe-path";
import type { FolderRef } from "../../utils/fs/scan-workspace";
import { sha256 } from "../../utils/hash";
import type { FileMap } from "../spec-files";
import { readCurrent } from "./disk";
import type { FlushStep } from "./plan";
import type { SyncContext } from "./types";

const isConflict = (err: unknown) => err instanceof SpecsyncError && err.code === "CONFLICT";

/**
 * Write `content` atomically, but only over the file we expect (`expectedHash`, null = absent):
 * the check runs right before the rename, and a mismatch is a CONFLICT. Returns what it replaced.
 */
export function writeGuarded(
  ctx: SyncContext,
  abs: string,
  content: string,
  expectedHash: string | null,
  root: string,
): Promise<AtomicWriteResult> {
  return writeFileAtomic(abs, content, { ...ctx.writeHooks, expectedHash, root });
}

/**
 * `writeGuarded` in two halves: the temp file written and fsynced now, the guarded rename at
 * `commit`.
 */
export function prepareGuarded(
  ctx: SyncContext,
  abs: string,
  content: string,
  expectedHash: string | null,
  root: string,
): Promise<PreparedWrite> {
  return prepareAtomicWrite(abs, content, { ...ctx.writeHooks, expectedHash, root });
}

/**
 * Flush one file: write (or delete, when the database has no such file) unless it changed on disk.
 */
async function flushOne(
  ctx: SyncContext,
  root: string,
  abs: string,
  file: string,
  content: string | undefined,
  expectedHash: string | null,
): Promise<{ step: FlushStep; error?: string }> {
  if (content === undefined) {
    const current = readCurrent(abs, root);
    if ((current?.hash ?? null) !== expectedHash)
      return { step: { file, kind: "changed_on_disk", current } };
    unlinkConfined(root, abs);
    return { step: { file, kind: "deleted", previous: current?.content ?? null } };
  }
  let previous: string | null;
  try {
    previous = (await writeGuarded(ctx, abs, content, expectedHash, root)).replaced;
  } catch (err) {
    if (!isConflict(err)) throw err;
    return { step: { file, kind: "changed_on_disk", current: readCurrent(abs, root) } };
  }
  const hash = sha256(content);
  try {
    return { step: { file, kind: "written", hash, stat: statSync(abs), previous } };
  } catch (err) {
    return {
      step: { file, kind: "written", hash, stat: null, previous },
      error: errorMessage(err),
    };
  }
}

/**
 * Flush the database's edits of a folder (pending after an earlier failed write), one file at a
 * time. A failure stops nothing: the last one is reported, its files stay pending.
 */
export async function flushFolder(
  ctx: SyncContext,
  root: string,
  ref: FolderRef,
  flush: readonly string[],
  files: FileMap,
  baseHashes: Record<string, string>,
): Promise<{ steps: FlushStep[]; error: string | null }> {
  const steps: FlushStep[] = [];
  let error: string | null = null;
  for (const file of flush) {
    try {
      const abs = resolveInside(root, `${ref.path}/${file}`);
      const done = await flushOne(ctx, root, abs, file, files[file], baseHashes[file] ?? null);
      steps.push(done.step);
      if (done.error !== undefined) error = `${file}: ${done.error}`;
    } catch (err) {
      error = `${file}: ${errorMessage(err)}`;
    }
  }
  return { steps, error };
}

/**
 * A write that never finished (crash, kill -9) left its temp file: clear it. Returns how many stay.
 */
export async function clearTempFiles(
  ctx: SyncContext,
  folderAbs: string,
  ref: FolderRef,
  temps: string[],
): Promise<number> {
  if (!temps.length) return 0;
  const removed = await removeStaleTempFiles(folderAbs, temps);
  if (removed.length)
    ctx.log?.(`removed temp files of interrupted writes in ${ref.path}: ${removed.join(", ")}`);
  return temps.length - removed.length;
}
