/**
 * openFolderConfined (safe-open.ts): a folder opened once and its files read relative to its
 * descriptor must allow and refuse exactly what the per-file walk from the root does, and must not
 * leak an outside file while another process swaps files and directories for symlinks.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openFolderConfined, readTextFileConfined } from "../src/utils/fs/safe-open";

const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), p));

function tree() {
  const root = tmp("specsync-folder-");
  const outside = tmp("specsync-outside-");
  const real = path.join(root, "changes/real");
  mkdirSync(path.join(real, "specs/demo/deep"), { recursive: true });
  mkdirSync(path.join(root, "changes/other/specs/x"), { recursive: true });
  writeFileSync(path.join(real, "proposal.md"), "# inside\n");
  writeFileSync(path.join(real, "specs/demo/spec.md"), "demo\n");
  writeFileSync(path.join(real, "specs/demo/deep/spec.md"), "deep\n");
  writeFileSync(path.join(root, "changes/other/specs/x/spec.md"), "other\n");
  writeFileSync(path.join(outside, "secret.md"), "# secret\n");
  symlinkSync("proposal.md", path.join(real, "linked.md")); // a file link inside the root
  symlinkSync("../../other/specs/x", path.join(real, "specs/near")); // a dir link inside
  symlinkSync(path.join(outside, "secret.md"), path.join(real, "out.md"));
  symlinkSync(outside, path.join(real, "specs/away"));
  symlinkSync("real", path.join(root, "changes/alias")); // the folder itself through a link
  execFileSync("mkfifo", [path.join(real, "fifo.md")]);
  return { root, outside, real };
}

/** What a read gives: its content, or its error's message (descriptor numbers vary by run). */
const outcome = (read: () => { content: string }) => {
  try {
    return read().content;
  } catch (err) {
    return `error: ${(err as Error).message.replace(/\/proc\/self\/fd\/\d+/, "<fd>")}`;
  }
};

describe("openFolderConfined", () => {
  it("reads, follows and refuses exactly what readTextFileConfined does, file by file", () => {
    const { root, outside, real } = tree();
    const files = [
      "proposal.md",
      "specs/demo/spec.md",
      "specs/demo/deep/spec.md",
      "linked.md",
      "specs/near/spec.md",
      "out.md",
      "specs/away/secret.md",
      "fifo.md",
      "missing.md",
      "specs/missing/spec.md",
      "proposal.md/x",
    ];
    for (const folderAbs of [real, path.join(root, "changes/alias")]) {
      const folder = openFolderConfined(root, folderAbs);
      try {
        const got = files.map((f) => outcome(() => folder.read(f)));
        const want = files.map((f) =>
          outcome(() => readTextFileConfined(root, path.join(folderAbs, f))),
        );
        expect(got).toEqual(want);
        expect(got.slice(0, 5)).toEqual([
          "# inside\n",
          "demo\n",
          "deep\n",
          "# inside\n",
          "other\n",
        ]);
        expect(got[5]).toMatch(/outside the OpenSpec root/);
        expect(got[6]).toMatch(/outside the OpenSpec root/);
        expect(got[7]).toMatch(/not a regular file/);
        expect(got[8]).toMatch(/ENOENT/);
      } finally {
        folder.close();
      }
    }
    // A folder that is a link out of the root, missing, or outside: each file fails as alone.
    symlinkSync(outside, path.join(root, "changes/escape"));
    for (const [dir, why] of [
      ["changes/escape", /outside the OpenSpec root/],
      ["changes/none", /ENOENT/],
      ["../x", /escapes/],
    ] as const) {
      const folder = openFolderConfined(root, path.join(root, dir));
      expect(outcome(() => folder.read("secret.md"))).toMatch(why);
      folder.close();
    }
  });

  it("never returns an outside file's bytes while a process swaps files and specs/ for symlinks", async () => {
    const { root, outside, real } = tree();
    mkdirSync(path.join(outside, "specs/demo"), { recursive: true });
    writeFileSync(path.join(outside, "specs/demo/spec.md"), "# secret\n");
    const swapper = spawn(
      process.execPath,
      [
        "-e",
        `const fs = require("node:fs"), path = require("node:path");
        const [dir, outside] = process.argv.slice(1);
        const p = path.join(dir, "proposal.md"), specs = path.join(dir, "specs");
        const until = Date.now() + 4000;
        let swaps = 0;
        while (Date.now() < until) {
          try { fs.unlinkSync(p + ".l"); } catch {}
          fs.symlinkSync(path.join(outside, "secret.md"), p + ".l");
          fs.renameSync(p + ".l", p);
          fs.writeFileSync(p + ".r", "# inside\\n");
          fs.renameSync(p + ".r", p);
          fs.renameSync(specs, specs + "-real");
          fs.symlinkSync(path.join(outside, "specs"), specs);
          fs.unlinkSync(specs);
          fs.renameSync(specs + "-real", specs);
          swaps += 2;
        }
        process.stdout.write(String(swaps));`,
        real,
        outside,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    swapper.stdout.on("data", (c) => (out += c));
    let finished = false;
    const done = new Promise<number>((r) => swapper.on("exit", (code) => r(code ?? 1)));
    void done.then(() => (finished = true));
    const seen = new Set<string>();
    let reads = 0;
    while (!finished) {
      const folder = openFolderConfined(root, real);
      try {
        for (const f of ["proposal.md", "specs/demo/spec.md", "proposal.md"]) {
          seen.add(outcome(() => folder.read(f)).split(":")[0] ?? "");
          reads++;
        }
      } finally {
        folder.close();
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(await done).toBe(0);
    expect(Number(out)).toBeGreaterThan(500);
    expect(reads).toBeGreaterThan(500);
    expect(seen.has("# secret\n")).toBe(false);
    expect(seen.has("# inside\n")).toBe(true);
    expect(readFileSync(path.join(outside, "secret.md"), "utf8")).toBe("# secret\n");
  }, 30_000);
});
