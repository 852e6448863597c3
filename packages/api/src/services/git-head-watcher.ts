import { existsSync, type FSWatcher, readFileSync, statSync, watch } from "node:fs";
import path from "node:path";
import { errorMessage } from "../utils/errors";

export type GitHeadWatcherOptions = {
  /**
   * Quiet time after the last git event before the workspace is reconciled (git writes in
   * bursts).
   */
  quietMs?: number;
  log?: (msg: string) => void;
};

/** The files whose change means "the working tree may have moved wholesale". */
const MOVES = new Set(["HEAD", "index", "ORIG_HEAD", "packed-refs"]);

/**
 * The git directory of the repository around `root`: `.git` as a folder, or the `gitdir:` a
 * worktree's or submodule's `.git` file points at. Null outside a repository.
 */
export function findGitDir(root: string): string | null {
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    const dotGit = path.join(dir, ".git");
    try {
      const st = statSync(dotGit);
      if (st.isDirectory()) return dotGit;
      if (st.isFile()) {
        const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, "utf8"));
        if (m?.[1]) return path.resolve(dir, m[1]);
      }
    } catch {
      // no .git here: look further up
    }
    if (path.dirname(dir) === dir) return null;
  }
}

/**
 * Calls `onMove` once a branch switch, pull, stash, reset or rebase has settled: the repository's
 * HEAD, index or the current branch's ref changed and no `index.lock` is left. The watcher only
 * sees folders of active changes; archived ones would otherwise wait for the scheduler, and a
 * checkout can rewrite hundreds of them at once.
 */
export class GitHeadWatcher {
  private dirWatch: FSWatcher | null = null;
  private refsWatch: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  readonly gitDir: string | null;

  constructor(
    root: string,
    private readonly onMove: () => Promise<unknown>,
    private readonly opts: GitHeadWatcherOptions = {},
  ) {
    this.gitDir = findGitDir(root);
  }

  start(): void {
    if (!this.gitDir || this.dirWatch) return;
    const gitDir = this.gitDir;
    try {
      // Non-recursive: git replaces HEAD/index by renaming a .lock file, which fs.watch reports by
      // name.
      this.dirWatch = watch(gitDir, { persistent: false }, (_event, name) => {
        if (name && (MOVES.has(String(name)) || String(name) === "index.lock")) this.schedule();
      });
      this.dirWatch.on("error", (err) => this.opts.log?.(`git watcher: ${errorMessage(err)}`));
      // A pull or reset moves only refs/heads/<branch>; watch that folder too (branch names with
      // slashes live deeper and are caught through HEAD/index, which those commands also write).
      const heads = path.join(gitDir, "refs", "heads");
      if (existsSync(heads)) {
        this.refsWatch = watch(heads, { persistent: false }, () => this.schedule());
        this.refsWatch.on("error", () => {});
      }
    } catch (err) {
      this.opts.log?.(`git watcher: not watching ${gitDir}: ${errorMessage(err)}`);
    }
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.opts.quietMs ?? 100);
  }

  private fire(): void {
    this.timer = null;
    // git still at work (checkout holds index.lock until the tree is written): wait for it.
    if (this.gitDir && existsSync(path.join(this.gitDir, "index.lock"))) {
      this.schedule();
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.onMove()
      .then(
        () => undefined,
        (err) => this.opts.log?.(`git watcher: reconcile failed: ${errorMessage(err)}`),
      )
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.fire();
        }
      });
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dirWatch?.close();
    this.refsWatch?.close();
    this.dirWatch = this.refsWatch = null;
    await this.running;
  }
}
