/**
 * The root `openspec list` picks (1.13, core/root-selection.js findQualifyingRootSync): the nearest
 * folder whose `openspec/` has a planning shape (a `specs/` or `changes/` directory that is not a
 * store's metadata) or a config file; an `openspec/` without either is skipped and the walk goes
 * on upwards. With none, a `openspec/project.md` in the current folder makes it an "implicit" root;
 * else the CLI answers `no_openspec_root`. (Registered stores and a global default store are the
 * CLI's machine-level fallbacks; specsync does not read them.)
 */
import { existsSync, realpathSync, statSync } from "node:fs";
import path from "node:path";

export type ListRoot = { path: string; source: "nearest" | "implicit" };

const isDirectory = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

const canonical = (p: string) => {
  try {
    return realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
};

/** A `specs/` or `changes/` folder counts unless it holds a store's `.openspec-store/store.yaml`. */
const isPlanningDir = (p: string) =>
  isDirectory(p) && !existsSync(path.join(p, ".openspec-store", "store.yaml"));

function qualifies(dir: string): boolean {
  const openspecDir = path.join(dir, "openspec");
  return (
    isPlanningDir(path.join(openspecDir, "specs")) ||
    isPlanningDir(path.join(openspecDir, "changes")) ||
    existsSync(path.join(openspecDir, "config.yaml")) ||
    existsSync(path.join(openspecDir, "config.yml"))
  );
}

/** The folder `openspec list` run in `cwd` lists, or null where it answers `no_openspec_root`. */
export function listRoot(cwd: string): ListRoot | null {
  const start = path.resolve(cwd);
  for (let dir = isDirectory(start) ? start : path.dirname(start); ; dir = path.dirname(dir)) {
    if (isDirectory(path.join(dir, "openspec"))) {
      // The CLI goes on from the canonical path of a folder it passed over.
      dir = canonical(dir);
      if (qualifies(dir)) return { path: dir, source: "nearest" };
    }
    if (path.dirname(dir) === dir) break;
  }
  return existsSync(path.join(start, "openspec", "project.md"))
    ? { path: canonical(start), source: "implicit" }
    : null;
}
