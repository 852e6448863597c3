import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ignoresSpecsyncDir, offerGitignore } from "../src/gitignore";

const made: string[] = [];
function repo(opts: { git: boolean; gitignore?: string }): string {
  const root = mkdtempSync(path.join(tmpdir(), "specsync-gi-"));
  made.push(root);
  if (opts.git) mkdirSync(path.join(root, ".git"));
  if (opts.gitignore !== undefined) writeFileSync(path.join(root, ".gitignore"), opts.gitignore);
  return root;
}
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const io = (answer = "", interactive = true) => {
  const said: string[] = [];
  const asked: string[] = [];
  return {
    said,
    asked,
    io: {
      interactive,
      ask: async (q: string) => (asked.push(q), answer),
      say: (m: string) => void said.push(m),
    },
  };
};

describe(".gitignore offer for the embedded database", () => {
  it("recognises the rules git would apply to <root>/.specsync/", () => {
    for (const yes of [
      ".specsync/",
      ".specsync",
      "/.specsync/",
      "**/.specsync/",
      ".specsync/**",
      "node_modules\n.specsync/\n",
    ])
      expect(ignoresSpecsyncDir(yes), yes).toBe(true);
    for (const no of [
      "",
      "# .specsync/",
      ".specsync-old/",
      "specsync/",
      ".specsync/\n!.specsync/",
      "x.specsync/",
    ])
      expect(ignoresSpecsyncDir(no), no).toBe(false);
  });

  it("--gitignore appends once, keeping an unterminated last line intact", async () => {
    const root = repo({ git: true, gitignore: "node_modules" });
    const a = io();
    expect(await offerGitignore(root, "add", a.io)).toBe("added");
    expect(readFileSync(path.join(root, ".gitignore"), "utf8")).toBe(
      "node_modules\n# specsync's embedded database\n.specsync/\n",
    );
    expect(await offerGitignore(root, "add", a.io)).toBe("already");
    expect(readFileSync(path.join(root, ".gitignore"), "utf8").match(/\.specsync\//g)).toHaveLength(
      1,
    );
  });

  it("asks on a terminal (Enter = yes, n = no); without a terminal only prints a hint; --no-gitignore never writes", async () => {
    const yes = repo({ git: true });
    const y = io("");
    expect(await offerGitignore(yes, "ask", y.io)).toBe("added");
    expect(y.asked[0]).toMatch(/Add \.specsync\/ .*\[Y\/n\]/);
    expect(readFileSync(path.join(yes, ".gitignore"), "utf8")).toContain(".specsync/\n");

    const no = repo({ git: true, gitignore: "dist/\n" });
    expect(await offerGitignore(no, "ask", io("n").io)).toBe("declined");
    expect(readFileSync(path.join(no, ".gitignore"), "utf8")).toBe("dist/\n");

    const batch = repo({ git: true });
    const b = io("", false);
    expect(await offerGitignore(batch, "ask", b.io)).toBe("hint");
    expect(b.asked).toEqual([]);
    expect(b.said.join("\n")).toMatch(/--gitignore/);
    expect(existsSync(path.join(batch, ".gitignore"))).toBe(false);

    const skip = repo({ git: true });
    expect(await offerGitignore(skip, "skip", io().io)).toBe("declined");
    expect(existsSync(path.join(skip, ".gitignore"))).toBe(false);
  });

  it("a rule git already applies from a parent folder's .gitignore counts", async () => {
    const top = repo({ git: false, gitignore: ".specsync/\n" });
    execFileSync("git", ["init", "-q"], { cwd: top });
    const project = path.join(top, "sub");
    mkdirSync(project);
    expect(await offerGitignore(project, "add", io().io)).toBe("already");
    expect(existsSync(path.join(project, ".gitignore"))).toBe(false);
  });

  it("outside a git repository nothing is offered or written", async () => {
    const root = repo({ git: false });
    expect(await offerGitignore(root, "add", io().io)).toBe("not-git");
    expect(existsSync(path.join(root, ".gitignore"))).toBe(false);
  });
});
