import { realpathSync, statSync } from "node:fs";
import path from "node:path";

/** A configured project that cannot be one: `code` is the `--json` error's (cli-error.ts). */
export class ProjectDirError extends Error {
  constructor(
    message: string,
    readonly code: "NOT_FOUND" | "BAD_REQUEST",
    /** A folder without `openspec/`: `list`/`show` answer openspec's "no root" there instead. */
    readonly noOpenspec = false,
  ) {
    super(message);
    this.name = "ProjectDirError";
  }
}

export const isDirectory = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * The folder as the file system names it, symlinks resolved (as `projects.add` registers it): a
 * link to a repository and the repository are one project, not two rows syncing the same files.
 */
export const canonical = (p: string) => {
  try {
    return realpathSync.native(p);
  } catch {
    return p;
  }
};

const kind = (p: string): "dir" | "other" | "missing" => {
  if (isDirectory(p)) return "dir";
  try {
    statSync(p);
    return "other";
  } catch {
    return "missing";
  }
};

/**
 * Refuse a project path that is missing, not a folder, or holds no `openspec/` folder, before
 * anything runs: the commands would otherwise create `<path>/.specsync/` there, register it as a
 * project and answer as if all were well (an empty list, no conflicts). A symlink to a folder is
 * a folder.
 */
export function checkProjectDir(dir: string): void {
  const at = kind(dir);
  if (at === "missing")
    throw new ProjectDirError(`project folder ${dir} does not exist`, "NOT_FOUND");
  if (at === "other") throw new ProjectDirError(`project ${dir} is not a folder`, "BAD_REQUEST");
  if (kind(path.join(dir, "openspec")) !== "dir")
    throw new ProjectDirError(
      `no openspec/ folder in ${dir}: ` +
        "pass the folder that holds openspec/ (or run `openspec init` there)",
      "NOT_FOUND",
      true,
    );
}
