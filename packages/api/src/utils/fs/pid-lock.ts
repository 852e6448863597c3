/**
 * A lock file taken by one process at a time: created with O_EXCL, holding the taker's pid. Several
 * specsync processes (an HTTP server, a stdio `specsync mcp`) may work on one repository over one
 * PostgreSQL database; their in-memory guards do not see each other, a file in the repository does.
 * A lock whose process is gone (or half written) is stale and taken over.
 */
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export type PidLock = { release: () => void } | { heldBy: number };

function holderOf(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Take `file` for this process, or say which live process holds it. The pid is written to a
 * private file first and linked into place, so a lock is never seen half written. A folder that
 * cannot be written (read-only checkout) gives a no-op lock: what it guards would fail there
 * anyway. A lock naming this very process is a previous run's (same pid after a restart): callers
 * guard their own process in memory.
 */
export function takePidLock(file: string): PidLock {
  const mine = `${file}.${process.pid}.${Date.now()}`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(mine, `${process.pid}\n`, { flag: "wx" });
  } catch {
    return { release: () => {} };
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, file);
        return {
          release: () => {
            if (holderOf(file) === process.pid) rmSync(file, { force: true });
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") return { release: () => {} };
        const pid = holderOf(file);
        if (pid !== null && pid !== process.pid && alive(pid)) return { heldBy: pid };
        rmSync(file, { force: true }); // stale: its process is gone
      }
    }
    return { release: () => {} };
  } finally {
    rmSync(mine, { force: true });
  }
}
