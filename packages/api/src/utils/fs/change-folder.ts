import { readdirSync, statSync } from "node:fs";
import path from "node:path";

/**
 * What `openspec list` calls a change's lastModified (core/list.js getLastModified): the newest
 * mtime of any file below the folder, tracked or not, symlinks followed, entries that no longer
 * resolve skipped; the folder's own mtime when it holds no file. `stat.mtime` (not `new
 * Date(mtimeMs)`): Node rounds to the millisecond there, and the CLI compares and prints that Date.
 */
export function folderLastModified(dir: string): Date {
  let latest: Date | null = null;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      try {
        if (e.isDirectory()) walk(p);
        else {
          const m = statSync(p).mtime;
          if (latest === null || m > latest) latest = m;
        }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ELOOP") throw err;
      }
    }
  };
  walk(dir);
  return latest ?? statSync(dir).mtime;
}

// ------------------------------------------------------------------ nested change folders
// (utils/nested-change.js)

const CHANGE_ROOT_MARKERS = [".openspec.yaml", "proposal.md", "tasks.md", "design.md"];
const MAX_NESTING_DEPTH = 3;

const dirents = (dir: string) => {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
};

function hasAnyFileUnder(dir: string): boolean {
  for (const e of dirents(dir)) {
    if (e.name.startsWith(".")) continue;
    if (e.isFile() || e.isSymbolicLink()) return true;
    if (e.isDirectory() && hasAnyFileUnder(path.join(dir, e.name))) return true;
  }
  return false;
}

function looksLikeChange(dir: string): boolean {
  for (const m of CHANGE_ROOT_MARKERS) {
    try {
      if (statSync(path.join(dir, m)).isFile()) return true;
    } catch {
      // absent
    }
  }
  // The CLI also asks the change's schema whether one of its outputs exists; for the default
  // schema those outputs are the markers above and specs/**, so that check adds nothing here.
  return hasAnyFileUnder(path.join(dir, "specs"));
}

/**
 * The change directories nested inside `changes/<name>/` when that folder only wraps them (the
 * CLI's `nested` flag and `nested_change_directory` warning), sorted; null for an ordinary change.
 */
export function findNestedChanges(changesDir: string, name: string): string[] | null {
  if (name === "archive" || name.startsWith(".")) return null;
  const dir = path.join(changesDir, name);
  if (looksLikeChange(dir)) return null;
  if (dirents(dir).some((e) => !e.name.startsWith(".") && !e.isDirectory())) return null;
  const found: string[] = [];
  const collect = (d: string, prefix: string, depth: number) => {
    if (depth > MAX_NESTING_DEPTH) return;
    for (const e of dirents(d)) {
      if (!e.isDirectory() || e.name.startsWith(".")) continue;
      const child = path.join(d, e.name);
      const id = `${prefix}/${e.name}`;
      if (looksLikeChange(child)) found.push(id);
      else collect(child, id, depth + 1);
    }
  };
  collect(dir, name, 1);
  return found.length ? found.sort() : null;
}

/** The CLI's one explanation of a nested change folder (describeNestedChange). */
export function describeNestedChange(name: string, nested: string[]): string {
  const list = nested.map((id) => `openspec/changes/${id}/`).join(", ");
  const example = (nested[0] ?? name).split("/").join("-");
  return (
    `"${name}" is not a change: it is a folder wrapping ${list}. ` +
    "A change must be a directory directly under openspec/changes/, so those " +
    "nested directories are invisible to OpenSpec while the folder around them " +
    "is reported as a change. Nested paths are supported under openspec/specs/ " +
    `only. Rename each nested change to a flat name (for example "${example}").`
  );
}
