import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";

/** The temp-file name pattern; dot-prefixed so the OpenSpec CLI never lists it, and the watcher ignores it. */
export const TEMP_FILE_PATTERN = /^\.specsync-.*\.tmp$/;

/**
 * Remove temp files that interrupted writes (a crash, kill -9) left in a folder. Only files older than
 * `minAgeMs` go, so a write in progress in another process is never pulled from under it.
 */
export async function removeStaleTempFiles(folder: string, names: readonly string[], minAgeMs = 10_000): Promise<string[]> {
  const removed: string[] = [];
  for (const name of names) {
    if (!TEMP_FILE_PATTERN.test(path.basename(name))) continue;
    const p = path.join(folder, name);
    try {
      if (Date.now() - (await stat(p)).mtimeMs < minAgeMs) continue;
      await unlink(p);
      removed.push(name);
    } catch {
      // gone already
    }
  }
  return removed;
}

export type AtomicWriteHooks = {
  /** Test seam for disk faults: called with the temp path before data is written. */
  beforeWrite?: (tempPath: string) => Promise<void> | void;
};

/**
 * Write a file atomically: temp file in the same folder, fsync, rename over the target, fsync the
 * folder. Readers see the old bytes or the new bytes, never a mix; on any error the temp file is removed.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, hooks: AtomicWriteHooks = {}): Promise<void> {
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.specsync-${path.basename(target)}-${randomBytes(6).toString("hex")}.tmp`);
  let mode = 0o644;
  try {
    mode = (await stat(target)).mode & 0o7777;
  } catch {
    // new file: default mode
  }
  // A rename would replace a read-only file silently (and root ignores permissions): honour the owner's intent.
  if ((mode & 0o222) === 0) throw Object.assign(new Error(`${target} is read-only`), { code: "EACCES" });
  let handle;
  try {
    handle = await open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode);
    await hooks.beforeWrite?.(temp);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw err;
  }
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY).catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  } finally {
    await handle.close();
  }
}
