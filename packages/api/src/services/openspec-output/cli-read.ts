/**
 * Spec files as `openspec show --json` finds and reads them (1.13.2): its discovery
 * (spec-discovery.js), its path checks (FileSystemUtils.assertPathWithin, assertSpecPath), and
 * Node's lenient UTF-8 (U+FFFD for bad bytes) with no size limit. The sync reads strictly (a file
 * over 1 MiB, not UTF-8 or linked out of `openspec/` is refused and its row marked failed); `show`
 * must print what the CLI prints for those files all the same.
 */
import {
  type Dirent,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
} from "node:fs";
import path from "node:path";

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** FileSystemUtils.isPathWithin. */
export function isPathWithin(dir: string, target: string): boolean {
  const rel = path.relative(dir, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** FileSystemUtils.canonicalizePotentialPath: a dangling link cannot be proven confined. */
function canonicalizePotentialPath(target: string): string {
  let existing = target;
  const missing: string[] = [];
  for (;;) {
    try {
      lstatSync(existing);
      return path.resolve(realpathSync.native(existing), ...missing);
    } catch (err) {
      if (code(err) !== "ENOENT") throw err;
      let link = false;
      try {
        link = lstatSync(existing).isSymbolicLink();
      } catch (lstatError) {
        if (code(lstatError) !== "ENOENT") throw lstatError;
      }
      if (link) throw new Error(`Cannot verify dangling symbolic link: ${existing}`);
      const parent = path.dirname(existing);
      if (parent === existing) throw new Error(`Cannot resolve an existing parent for ${target}`);
      missing.unshift(path.basename(existing));
      existing = parent;
    }
  }
}

/** FileSystemUtils.assertPathWithin: throws the CLI's error. */
export function assertPathWithin(dir: string, target: string): void {
  const outside = new Error(`Path is outside the allowed directory: ${target}`);
  if (!isPathWithin(path.resolve(dir), path.resolve(target))) throw outside;
  const canonicalDir = canonicalizePotentialPath(path.resolve(dir));
  if (!isPathWithin(canonicalDir, canonicalizePotentialPath(path.resolve(target)))) throw outside;
}

/** Within the specs root, or (a capability linked in from elsewhere) within its own folder. */
function assertConfined(specsRoot: string, capabilityDir: string, specFile: string): void {
  try {
    assertPathWithin(specsRoot, specFile);
  } catch {
    assertPathWithin(capabilityDir, specFile);
  }
}

export type CliSpecFile = { id: string; specFile: string; linked: boolean };

/**
 * discoverSpecFiles: every `<id>/spec.md` under `specsRoot` (nested ids too), dot-entries and
 * symlinked folders skipped, a dangling link skipped, a link to a folder skipped. Throws the CLI's
 * error for a spec.md linked out of its capability (and out of the root), a link loop, or a root
 * that cannot be read (a missing root is no specs). Sorted by id, by code unit.
 */
export function cliSpecFiles(specsRoot: string): CliSpecFile[] {
  const found: CliSpecFile[] = [];
  const walk = (dir: string, segments: string[]) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (code(err) === "ENOENT") return;
      throw err;
    }
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full, [...segments, e.name]);
      else if (e.name !== "spec.md" || segments.length === 0) continue;
      else if (e.isFile()) {
        assertConfined(specsRoot, dir, full);
        found.push({ id: segments.join("/"), specFile: full, linked: false });
      } else if (e.isSymbolicLink()) {
        try {
          if (statSync(full).isFile()) {
            assertConfined(specsRoot, dir, full);
            found.push({ id: segments.join("/"), specFile: full, linked: true });
          }
        } catch (err) {
          if (code(err) !== "ENOENT") throw err; // dangling: not content
        }
      }
    }
  };
  walk(specsRoot, []);
  return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** cliSpecFiles, or the message `openspec show` fails with. */
export function cliSpecDiscovery(specsRoot: string): {
  files: CliSpecFile[];
  error: string | null;
} {
  try {
    return { files: cliSpecFiles(specsRoot), error: null };
  } catch (err) {
    return { files: [], error: (err as Error).message };
  }
}

/** A file's text as the CLI reads it (`readFileSync(p, "utf-8")`). */
export const readLenient = (file: string): string => readFileSync(file, "utf8");

/**
 * `openspec show <id> --type spec --json` up to the parse (SpecCommand.show): the spec.md's text,
 * or the CLI's message (outside the specs folder, dangling link, not found, EISDIR…). `root` is
 * the canonical root, as the CLI's messages name it.
 */
export function cliSpecContent(root: string, id: string): { content: string } | { error: string } {
  const specsDir = path.join(root, "openspec", "specs");
  const specPath = path.join(specsDir, id, "spec.md");
  try {
    // assertSpecPath
    if (!isPathWithin(path.resolve(specsDir), path.resolve(specPath)))
      throw new Error(`Path is outside the allowed directory: ${specPath}`);
    assertConfined(specsDir, path.dirname(specPath), specPath);
    if (!existsSync(specPath)) return { error: `Spec '${id}' not found at ${specPath}` };
    // A FIFO or device would hang the CLI's read; specsync refuses it, in the same shape.
    const stat = statSync(specPath);
    if (!stat.isFile() && !stat.isDirectory())
      return { error: `${specPath} is not a regular file` };
    return { content: readLenient(specPath) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
