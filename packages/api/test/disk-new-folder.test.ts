/**
 * readDisk for a new folder reads its files without a stat first (the read's fstat is the stat);
 * a failed read falls back to the stat-first read. Either way it must give what the stat-first read
 * gives: same files, hashes, stats and errors, for a plain folder and for one with refused links.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readDisk, statOf } from "../src/services/sync/disk";
import type { DiskRead } from "../src/services/sync/types";
import { classifyFolder } from "../src/utils/fs/scan-workspace";

const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), p));

/** The stat-first path: a row with nothing to compare reads every file after its stat. */
const statFirst = { baseHashes: {}, fileStats: {} };

/** What is kept of a read (the stat's size, mtime and inode: the first read moves the atime). */
const kept = (d: DiskRead) => ({
  ...d,
  files: [...d.files].map(([f, x]) => [f, x.hash, x.content, statOf(x.stat)]),
});

function both(root: string, rel: string) {
  const ref = classifyFolder(rel);
  if (!ref) throw new Error(`not a folder: ${rel}`);
  const abs = path.join(root, rel);
  const fresh = readDisk(abs, root, ref, undefined);
  return { fresh, kept: kept(fresh), old: kept(readDisk(abs, root, ref, statFirst)) };
}

describe("readDisk of a new folder", () => {
  it("gives what the stat-first read gives for a plain folder", () => {
    const root = tmp("specsync-disk-");
    const dir = path.join(root, "changes/plain");
    mkdirSync(path.join(dir, "specs/demo"), { recursive: true });
    writeFileSync(path.join(dir, "proposal.md"), "# Change: plain\n\n## Why\nx\n");
    writeFileSync(path.join(dir, "tasks.md"), "- [ ] one\n");
    writeFileSync(path.join(dir, "specs/demo/spec.md"), "## ADDED Requirements\n");
    const { fresh, kept: got, old } = both(root, "changes/plain");
    expect(fresh.error).toBeNull();
    expect([...fresh.files.keys()].sort()).toEqual([
      "proposal.md",
      "specs/demo/spec.md",
      "tasks.md",
    ]);
    expect(got).toEqual(old);
  });

  it("gives the same errors as the stat-first read when a file is refused", () => {
    const root = tmp("specsync-disk-");
    const outside = tmp("specsync-disk-out-");
    writeFileSync(path.join(outside, "secret.md"), "# secret\n");
    const dir = path.join(root, "changes/links");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "proposal.md"), "# Change: links\n");
    symlinkSync(path.join(outside, "secret.md"), path.join(dir, "design.md"));
    symlinkSync("missing.md", path.join(dir, "tasks.md")); // dangling
    const { fresh, kept: got, old } = both(root, "changes/links");
    expect(fresh.error).not.toBeNull();
    expect(fresh.error).not.toContain(outside);
    expect(got).toEqual(old);
  });
});
