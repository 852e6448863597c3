import { realpathSync } from "node:fs";
import path from "node:path";
import { SpecsyncError } from "../errors";

function isWithin(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * realpath of the deepest existing ancestor, so a path that does not exist yet can still be
 * checked.
 */
function realpathOfExisting(p: string): string {
  let current = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync.native(current), ...rest.reverse());
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      const parent = path.dirname(current);
      if (parent === current) return p;
      rest.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Resolve `relPath` inside `root` (a project's `openspec/` folder). Refuses `..`, absolute paths,
 * NUL bytes and symlinks that lead outside the root, whether or not the target exists yet.
 */
export function resolveInside(root: string, relPath: string): string {
  if (relPath.includes("\0")) throw new SpecsyncError("BAD_REQUEST", "path contains a NUL byte");
  if (path.isAbsolute(relPath) || /^[a-zA-Z]:[\\/]/.test(relPath))
    throw new SpecsyncError("BAD_REQUEST", `absolute paths are not allowed: ${relPath}`);
  const segments = relPath.split(/[\\/]/);
  if (segments.includes(".."))
    throw new SpecsyncError("BAD_REQUEST", `path escapes the OpenSpec root: ${relPath}`);
  const lexical = path.resolve(root, relPath);
  if (!isWithin(path.resolve(root), lexical))
    throw new SpecsyncError("BAD_REQUEST", `path escapes the OpenSpec root: ${relPath}`);
  const realRoot = realpathOfExisting(path.resolve(root));
  const real = realpathOfExisting(lexical);
  if (!isWithin(realRoot, real))
    throw new SpecsyncError(
      "BAD_REQUEST",
      `path leads outside the OpenSpec root through a symlink: ${relPath}`,
    );
  return lexical;
}
