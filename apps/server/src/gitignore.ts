import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { SPECSYNC_DIR } from "@specsync/settings";

const ENTRY = `${SPECSYNC_DIR}/`;

/** Nearest folder at or above `from` that holds `.git` (a folder, or a file in a worktree). */
export function findGitRoot(from: string): string | null {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, ".git"))) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

/** Does this .gitignore text already ignore the `.specsync/` folder at its own level? (pure) */
export function ignoresSpecsyncDir(gitignore: string): boolean {
  const name = SPECSYNC_DIR.replace(".", "\\.");
  const rule = new RegExp(`^(\\*\\*/)?/?${name}(/(\\*\\*?)?)?$`);
  let ignored = false;
  for (const raw of gitignore.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    // The last matching rule wins, as in git: a later `!.specsync/` re-includes the folder.
    if (rule.test(line)) ignored = true;
    else if (line.startsWith("!") && rule.test(line.slice(1))) ignored = false;
  }
  return ignored;
}

/**
 * Git's own answer (any .gitignore above, info/exclude, the global excludes); null when git is
 * not installed.
 */
function gitIgnores(root: string): boolean | null {
  const r = spawnSync("git", ["check-ignore", "-q", ENTRY], { cwd: root, stdio: "ignore" });
  return r.status === 0 ? true : r.status === 1 ? false : null;
}

/**
 * Append `.specsync/` to `<root>/.gitignore`, creating it if needed, keeping the file's last
 * line intact.
 */
export function addToGitignore(root: string): string {
  const file = path.join(root, ".gitignore");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const lead = text && !text.endsWith("\n") ? "\n" : "";
  appendFileSync(file, `${lead}# specsync's embedded database\n${ENTRY}\n`);
  return file;
}

export type GitignoreChoice = "add" | "skip" | "ask";
export type GitignoreResult = "not-git" | "already" | "added" | "declined" | "hint";

/**
 * `specsync` in a git repository keeps its database in `<root>/.specsync/`: offer to ignore it.
 * `add`/`skip` come from `--gitignore`/`--no-gitignore`; `ask` asks on a terminal and, when nobody
 * can answer (stdin not a TTY), only prints a hint.
 */
export async function offerGitignore(
  root: string,
  choice: GitignoreChoice,
  io: {
    interactive: boolean;
    ask: (question: string) => Promise<string>;
    say: (msg: string) => void;
  },
): Promise<GitignoreResult> {
  if (!findGitRoot(root)) return "not-git";
  const file = path.join(root, ".gitignore");
  if (gitIgnores(root) ?? (existsSync(file) && ignoresSpecsyncDir(readFileSync(file, "utf8"))))
    return "already";
  if (choice === "skip") return "declined";
  if (choice === "ask" && !io.interactive) {
    io.say(
      `note: the embedded database is in ${path.join(root, SPECSYNC_DIR)}; add "${ENTRY}" to .gitignore (or run specsync --gitignore once)`,
    );
    return "hint";
  }
  if (choice === "ask") {
    const answer = (await io.ask(`Add ${ENTRY} (specsync's embedded database) to ${file}? [Y/n] `))
      .trim()
      .toLowerCase();
    if (answer && !["y", "yes"].includes(answer)) return "declined";
  }
  addToGitignore(root);
  io.say(`added ${ENTRY} to ${file}`);
  return "added";
}
