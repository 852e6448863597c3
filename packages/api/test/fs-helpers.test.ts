import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveInside, sha256, writeFileAtomic } from "../src";
import { prepareAtomicWrite } from "../src/utils/fs/atomic-write";
import { folderFingerprint, unchangedFolders } from "../src/utils/fs/folder-fingerprint";
import { readTextFileSync } from "../src/utils/fs/read-text";
import { readTextFileConfined } from "../src/utils/fs/safe-open";
import { classifyFolder, scanWorkspace } from "../src/utils/fs/scan-workspace";
import { statFields, statFieldsFast } from "../src/utils/fs/stat-fields";

const tmp = () => mkdtempSync(path.join(tmpdir(), "specsync-fs-"));

describe("resolveInside", () => {
  it("refuses .., absolute paths, NUL and symlinks leading out", () => {
    const root = path.join(tmp(), "openspec");
    mkdirSync(path.join(root, "changes/a"), { recursive: true });
    expect(resolveInside(root, "changes/a/proposal.md")).toBe(
      path.join(root, "changes/a/proposal.md"),
    );
    expect(() => resolveInside(root, "../x")).toThrow(/escapes/);
    expect(() => resolveInside(root, "changes/../../x")).toThrow(/escapes/);
    expect(() => resolveInside(root, "/etc/passwd")).toThrow(/absolute/);
    expect(() => resolveInside(root, "a\0b")).toThrow(/NUL/);
    symlinkSync(tmpdir(), path.join(root, "changes/out"));
    expect(() => resolveInside(root, "changes/out/new-file.md")).toThrow(/symlink/);
  });

  it("property: no string resolves outside the root", () => {
    const root = path.join(tmp(), "openspec");
    mkdirSync(root, { recursive: true });
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom("..", ".", "a", "b", "/", "\\", "%2e", "changes", "\0", "C:"), {
            maxLength: 8,
          })
          .map((p) => p.join("/")),
        (rel) => {
          try {
            const abs = resolveInside(root, rel);
            const r = path.relative(root, abs);
            expect(r.startsWith("..") || path.isAbsolute(r)).toBe(false);
          } catch (err) {
            expect((err as Error).message).toMatch(/escapes|absolute|NUL|symlink/);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("writeFileAtomic", () => {
  it("replaces the file, keeps its mode, leaves no temp file", async () => {
    const dir = tmp();
    const f = path.join(dir, "a.md");
    writeFileSync(f, "old");
    chmodSync(f, 0o640);
    await writeFileAtomic(f, "new");
    expect(readFileSync(f, "utf8")).toBe("new");
    expect(readdirSync(dir)).toEqual(["a.md"]);
  });

  it("on a write error the old bytes stay and the temp file is removed", async () => {
    const dir = tmp();
    const f = path.join(dir, "a.md");
    writeFileSync(f, "old");
    const enospc = Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    await expect(
      writeFileAtomic(f, "new", { beforeWrite: () => Promise.reject(enospc) }),
    ).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(f, "utf8")).toBe("old");
    expect(readdirSync(dir)).toEqual(["a.md"]);
  });

  it("with expectedHash: a target changed since it was read is not replaced (CONFLICT, no temp file)", async () => {
    const dir = tmp();
    const f = path.join(dir, "a.md");
    writeFileSync(f, "old");
    await expect(
      writeFileAtomic(f, "new", { expectedHash: sha256("something else") }),
    ).rejects.toThrow(/changed on disk/);
    await expect(writeFileAtomic(f, "new", { expectedHash: null })).rejects.toThrow(
      /changed on disk/,
    );
    expect(readFileSync(f, "utf8")).toBe("old");
    expect(readdirSync(dir)).toEqual(["a.md"]);
    const ok = await writeFileAtomic(f, "new", { expectedHash: sha256("old") });
    expect(ok).toEqual({ replaced: "old", replacedHash: sha256("old") });
    expect(readFileSync(f, "utf8")).toBe("new");
  });

  it("an in-place write racing in between the check and the rename is returned, not lost", async () => {
    const dir = tmp();
    const f = path.join(dir, "a.md");
    writeFileSync(f, "old");
    // Same inode, new bytes: what an editor saving in place does at the worst moment.
    const result = await writeFileAtomic(f, "ours", {
      expectedHash: sha256("old"),
      beforeRename: () => writeFileSync(f, "theirs"),
    });
    expect(readFileSync(f, "utf8")).toBe("ours");
    expect(result).toEqual({ replaced: "theirs", replacedHash: sha256("theirs") });
  });

  it("rename: the bytes in place at once, fsync and close settled later, no fd left", async () => {
    const dir = tmp();
    const f = path.join(dir, "a.md");
    writeFileSync(f, "old");
    const fds = () => readdirSync("/proc/self/fd").length;
    const before = fds();
    const prepared = await prepareAtomicWrite(f, "new", { expectedHash: sha256("old"), root: dir });
    const { result, synced, released } = await prepared.rename();
    expect(readFileSync(f, "utf8")).toBe("new");
    expect(result).toEqual({ replaced: "old", replacedHash: sha256("old") });
    await Promise.all([synced, released]);
    expect(readdirSync(dir)).toEqual(["a.md"]);
    expect(fds()).toBe(before);
    // writeFileAtomic (commit) waits for both: no descriptor left once it answers.
    await writeFileAtomic(f, "newer", { expectedHash: sha256("new"), root: dir });
    expect(fds()).toBe(before);
  });

  it("refuses a read-only file", async () => {
    const dir = tmp();
    const f = path.join(dir, "a.md");
    writeFileSync(f, "old");
    chmodSync(f, 0o444);
    await expect(writeFileAtomic(f, "new")).rejects.toThrow(/read-only/);
    expect(readFileSync(f, "utf8")).toBe("old");
  });
});

describe("readTextFileSync", () => {
  it("keeps the BOM, refuses binary, invalid UTF-8 and oversize files", () => {
    const dir = tmp();
    const w = (n: string, c: string | Buffer) => (
      writeFileSync(path.join(dir, n), c), path.join(dir, n)
    );
    expect(readTextFileSync(w("bom.md", "\uFEFFhi")).content).toBe("\uFEFFhi");
    expect(() => readTextFileSync(w("bin.md", Buffer.from([1, 0, 2])))).toThrow(/binary/);
    expect(() => readTextFileSync(w("bad.md", Buffer.from([0xc3, 0x28])))).toThrow(/UTF-8/);
    expect(() => readTextFileSync(w("big.md", "x".repeat(2000)), 1000)).toThrow(/limit/);
  });
});

describe("confined opens (safe-open)", () => {
  it("follow symlinks that stay inside the root, refuse those that leave it, never hang on a FIFO", () => {
    const root = mkdtempSync(path.join(tmpdir(), "specsync-confined-"));
    const outside = mkdtempSync(path.join(tmpdir(), "specsync-outside-"));
    mkdirSync(path.join(root, "changes/real/specs/demo"), { recursive: true });
    writeFileSync(path.join(root, "changes/real/proposal.md"), "# inside\n");
    writeFileSync(path.join(outside, "secret.md"), "# secret\n");
    symlinkSync("real", path.join(root, "changes/alias")); // a folder link inside the root
    symlinkSync("proposal.md", path.join(root, "changes/real/linked.md")); // a file link inside the root
    symlinkSync(path.join(outside, "secret.md"), path.join(root, "changes/real/out.md"));
    symlinkSync(outside, path.join(root, "changes/real/specs/away"));
    expect(readTextFileConfined(root, path.join(root, "changes/alias/proposal.md")).content).toBe(
      "# inside\n",
    );
    expect(readTextFileConfined(root, path.join(root, "changes/real/linked.md")).content).toBe(
      "# inside\n",
    );
    expect(() => readTextFileConfined(root, path.join(root, "changes/real/out.md"))).toThrow(
      /outside the OpenSpec root/,
    );
    expect(() =>
      readTextFileConfined(root, path.join(root, "changes/real/specs/away/secret.md")),
    ).toThrow(/outside the OpenSpec root/);
    expect(() => readTextFileConfined(root, path.join(root, "../x.md"))).toThrow(/escapes/);
    execFileSync("mkfifo", [path.join(root, "changes/real/fifo.md")]);
    expect(() => readTextFileConfined(root, path.join(root, "changes/real/fifo.md"))).toThrow(
      /not a regular file/,
    );
  });
});

describe("folderFingerprint", () => {
  it("is the sha1 of the stat text earlier versions stored (no upgrade re-reads)", () => {
    const folder = path.join(tmp(), "add-x");
    mkdirSync(path.join(folder, "specs/cap"), { recursive: true });
    writeFileSync(path.join(folder, "tasks.md"), "- [ ] 1\n");
    writeFileSync(path.join(folder, "specs/cap/spec.md"), "## ADDED Requirements\n");
    const old = new Date(Date.now() - 3600_000);
    for (const p of ["specs/cap/spec.md", "tasks.md", "specs/cap", "specs", ""])
      utimesSync(path.join(folder, p), old, old);
    const s = (rel: string) => statSync(path.join(folder, rel));
    const d = (rel: string) => `d\0${rel}\0${s(rel).mtimeMs}\0${s(rel).ino}\n`;
    const f = (rel: string) => `f\0${rel}\0${s(rel).size}\0${s(rel).mtimeMs}\0${s(rel).ino}\n`;
    const text = d("") + d("specs") + d("specs/cap") + f("specs/cap/spec.md") + f("tasks.md");
    const expected = createHash("sha1").update(text).digest("base64url");
    expect(folderFingerprint(folder, ["tasks.md", "specs/cap/spec.md"])).toBe(expected);
    expect(unchangedFolders([[folder, ["specs/cap/spec.md", "tasks.md"], expected]])).toEqual([
      true,
    ]);
    writeFileSync(path.join(folder, "tasks.md"), "- [x] 1\n"); // same size, new mtime
    expect(unchangedFolders([[folder, ["tasks.md", "specs/cap/spec.md"], expected]])).toEqual([
      false,
    ]);
  });

  it("is null for a file where the folder was (its stat text alone would match an empty folder's)", () => {
    const file = path.join(tmp(), "add-y");
    writeFileSync(file, "not a folder\n");
    const old = new Date(Date.now() - 3600_000);
    utimesSync(file, old, old);
    expect(folderFingerprint(file, [])).toBeNull();
    const s = statSync(file);
    const stored = createHash("sha1").update(`d\0\0${s.mtimeMs}\0${s.ino}\n`).digest("base64url");
    expect(unchangedFolders([[file, [], stored]])).toEqual([false]);
  });
});

describe("statFields", () => {
  it("answers as statSync does (size, mtimeMs, ino, mode), without a Stats object on this Node", () => {
    const folder = path.join(tmp(), "stat");
    mkdirSync(path.join(folder, "d"), { recursive: true });
    writeFileSync(path.join(folder, "f.md"), "twelve bytes");
    symlinkSync(path.join(folder, "f.md"), path.join(folder, "link.md"));
    utimesSync(path.join(folder, "f.md"), new Date(1_700_000_000_123.456), new Date(1e12 + 0.5));
    for (const rel of ["", "d", "f.md", "link.md"]) {
      const s = statSync(path.join(folder, rel));
      expect({ ...statFields(path.join(folder, rel)) }).toEqual({
        size: s.size,
        mtimeMs: s.mtimeMs,
        ino: s.ino,
        mode: s.mode,
      });
    }
    expect(statFields(path.join(folder, "missing"))).toBeUndefined();
    // Other errors throw, as statSync's do (folderFingerprint then answers null).
    const under = path.join(folder, "f.md/under-a-file");
    expect(() => statSync(under, { throwIfNoEntry: false })).toThrow(/ENOTDIR/);
    expect(() => statFields(under)).toThrow(/ENOTDIR/);
    // The no-op reconcile's ~100,000 stats rely on it: a Node where the check fails falls back.
    expect(statFieldsFast).toBe(true);
  });
});

describe("scanWorkspace", () => {
  it("names every folder as classifyFolder does, and says which are reached through a symlink", () => {
    const root = path.join(tmp(), "openspec");
    const dirs = [
      "changes/add-a",
      "changes/archive/2026-01-02-add-b",
      "changes/archive/not-dated",
      "changes/archive/2026-1-2-odd",
      "changes/.hidden",
      "changes/archive/.hidden",
      "specs/auth",
      "specs/auth/tokens",
    ];
    for (const d of dirs) mkdirSync(path.join(root, d), { recursive: true });
    for (const s of ["specs/auth", "specs/auth/tokens"])
      writeFileSync(path.join(root, s, "spec.md"), "# spec\n");
    mkdirSync(path.join(root, "../elsewhere/2026-03-04-linked"), { recursive: true });
    symlinkSync(
      path.join(root, "../elsewhere/2026-03-04-linked"),
      path.join(root, "changes/archive/2026-03-04-linked"),
    );
    symlinkSync(path.join(root, "changes/add-a"), path.join(root, "changes/add-c"));
    const refs = scanWorkspace(root);
    const expected = [
      ["changes/add-a", false],
      ["changes/add-c", true],
      ["changes/archive/2026-01-02-add-b", false],
      ["changes/archive/2026-03-04-linked", true],
      ["changes/archive/2026-1-2-odd", false],
      ["changes/archive/not-dated", false],
      ["specs/auth", false],
      ["specs/auth/tokens", false],
    ] as const;
    const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : 1);
    expect([...refs].sort(byPath)).toEqual(
      expected.map(([p, viaSymlink]) => ({ ...classifyFolder(p), viaSymlink })),
    );
    expect(refs.find((r) => r.path === "changes/archive/2026-01-02-add-b")).toMatchObject({
      name: "add-b",
      archived: true,
      archivedOn: "2026-01-02",
    });
  });
});
