import { type Dirent, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { SpecKind } from "@specsync/validators";
import { TEMP_FILE_PATTERN } from "./atomic-write";

/** A change or capability folder found on disk. */
export type FolderRef = {
  kind: SpecKind;
  /** Change id or capability id. */
  name: string;
  /** Relative to `openspec/`, forward slashes. */
  path: string;
  archived: boolean;
  archivedOn: string | null;
  /**
   * Set by scanWorkspace: false when no symlink leads to the folder (so it is inside the root
   * by construction).
   */
  viaSymlink?: boolean;
};

/** Files specsync tracks inside a change folder (besides delta specs). */
export const CHANGE_FILES = ["proposal.md", "tasks.md", "design.md", ".openspec.yaml"] as const;
export const SPEC_FILE = "spec.md";

const ARCHIVE_DIR = /^(\d{4}-\d{2}-\d{2})-(.+)$/;

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw err;
  }
}

function isDir(dir: string, e: Dirent): boolean {
  if (e.isDirectory()) return true;
  if (!e.isSymbolicLink()) return false;
  try {
    return statSync(path.join(dir, e.name)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Is `folderAbs` a folder whose name on disk is not valid UTF-8? readdir gives such a name with
 * U+FFFD in place of the bad bytes, and nothing can be opened by that path: it is listed, yet
 * does not exist. (A vanished folder is not listed any more.)
 */
export function hasUndecodableName(folderAbs: string): boolean {
  const name = path.basename(folderAbs);
  if (!name.includes("\uFFFD")) return false;
  try {
    return readdirSync(path.dirname(folderAbs)).includes(name);
  } catch {
    return false;
  }
}

/**
 * Describe a folder path relative to `openspec/`, or null if it is not a change or capability
 * folder.
 */
export function classifyFolder(relPath: string): FolderRef | null {
  const parts = relPath.split("/");
  if (parts.some((p) => p.startsWith(".") || p === "")) return null;
  if (parts[0] === "changes") {
    const [, second = "", third = ""] = parts;
    if (parts.length === 2 && second !== "archive")
      return { kind: "change", name: second, path: relPath, archived: false, archivedOn: null };
    if (parts.length === 3 && second === "archive") {
      const m = third.match(ARCHIVE_DIR);
      return {
        kind: "change",
        name: m?.[2] ?? third,
        path: relPath,
        archived: true,
        archivedOn: m?.[1] ?? null,
      };
    }
    return null;
  }
  if (parts[0] === "specs" && parts.length >= 2)
    return {
      kind: "spec",
      name: parts.slice(1).join("/"),
      path: relPath,
      archived: false,
      archivedOn: null,
    };
  return null;
}

/**
 * Every change (active and archived) and every main capability spec under `openspecDir`,
 * discovered with the CLI's rules: dot-entries skipped, `archive` is not a change,
 * a capability is a folder (at any depth) holding `spec.md`.
 */
export function scanWorkspace(openspecDir: string): FolderRef[] {
  const out: FolderRef[] = [];
  const changesDir = path.join(openspecDir, "changes");
  for (const e of entries(changesDir)) {
    if (e.name.startsWith(".") || !isDir(changesDir, e)) continue;
    if (e.name === "archive") {
      const archiveDir = path.join(changesDir, "archive");
      for (const a of entries(archiveDir)) {
        if (a.name.startsWith(".") || !isDir(archiveDir, a)) continue;
        out.push(archivedRef(a.name, a.isSymbolicLink() || e.isSymbolicLink()));
      }
    } else {
      out.push(activeRef(e.name, e.isSymbolicLink()));
    }
  }
  // Every path here is a capability folder by construction; classifyFolder names it.
  for (const s of discoverSpecs(path.join(openspecDir, "specs"))) {
    const ref = classifyFolder(`specs/${s.id}`);
    if (ref) out.push({ ...ref, viaSymlink: s.viaSymlink });
  }
  return out;
}

// What classifyFolder says of `changes/<name>` and `changes/archive/<name>` (a name with no
// leading dot, not "archive"), built directly: the scan of 10,000 changes runs on every full
// sync, and splitting each path and copying each ref was most of its garbage.
function activeRef(name: string, viaSymlink: boolean): FolderRef {
  const at = `changes/${name}`;
  return { kind: "change", name, path: at, archived: false, archivedOn: null, viaSymlink };
}

function archivedRef(dir: string, viaSymlink: boolean): FolderRef {
  const m = ARCHIVE_DIR.exec(dir);
  return {
    kind: "change",
    name: m?.[2] ?? dir,
    path: `changes/archive/${dir}`,
    archived: true,
    archivedOn: m?.[1] ?? null,
    viaSymlink,
  };
}

/**
 * Capability ids (`a`, `a/b`) under a specs folder: folders holding a `spec.md`, dot-entries
 * skipped; each says whether a symlink is on the way (those paths need a containment check).
 */
function discoverSpecs(
  specsDir: string,
  viaSymlink = false,
  temps?: string[],
  dirs?: string[],
  untracked?: string[],
): { id: string; viaSymlink: boolean }[] {
  const found: { id: string; viaSymlink: boolean }[] = [];
  const walk = (dir: string, segments: string[], linked: boolean) => {
    dirs?.push(["specs", ...segments].join("/"));
    for (const e of entries(dir)) {
      if (temps && TEMP_FILE_PATTERN.test(e.name))
        temps.push(["specs", ...segments, e.name].join("/"));
      const plain = e.isDirectory() || (e.isFile() && e.name === SPEC_FILE && segments.length > 0);
      if (untracked && (!plain || e.name.startsWith(".")))
        untracked.push(["specs", ...segments, e.name].join("/"));
      if (e.name.startsWith(".")) continue;
      const link = linked || e.isSymbolicLink();
      if (isDir(dir, e)) walk(path.join(dir, e.name), [...segments, e.name], link);
      else if (e.name === SPEC_FILE && segments.length > 0) {
        if (e.isFile()) found.push({ id: segments.join("/"), viaSymlink: link });
        else {
          try {
            if (statSync(path.join(dir, e.name)).isFile())
              found.push({ id: segments.join("/"), viaSymlink: true });
          } catch {
            // dangling symlink: not a spec
          }
        }
      }
    }
  };
  walk(specsDir, [], viaSymlink);
  return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export type TrackedFile = { file: string; viaSymlink: boolean };

/** A change folder's entry the listing covers: a tracked plain file, or a plain `specs/`. */
const isChangeEntry = (e: Dirent) =>
  e.name === "specs"
    ? e.isDirectory()
    : e.isFile() && (CHANGE_FILES as readonly string[]).includes(e.name);

/**
 * The files of one folder that specsync tracks, relative to the folder, flagged when reached
 * through a symlink. Temp files of interrupted atomic writes met on the way are reported into
 * `temps`, the directories walked under `specs/` into `dirs`, and (change folders) every entry
 * met that is neither a tracked plain file nor a plain directory walked into `untracked`.
 */
export function listTrackedFilesDetailed(
  folderAbs: string,
  kind: SpecKind,
  temps?: string[],
  dirs?: string[],
  untracked?: string[],
): TrackedFile[] {
  const all = entries(folderAbs);
  if (temps) for (const e of all) if (TEMP_FILE_PATTERN.test(e.name)) temps.push(e.name);
  if (kind === "spec") {
    if (untracked)
      for (const e of all) if (!(e.isFile() && e.name === SPEC_FILE)) untracked.push(e.name);
    const e = all.find((x) => x.name === SPEC_FILE);
    return e ? [{ file: SPEC_FILE, viaSymlink: e.isSymbolicLink() }] : [];
  }
  const out: TrackedFile[] = [];
  if (untracked) for (const e of all) if (!isChangeEntry(e)) untracked.push(e.name);
  for (const name of CHANGE_FILES) {
    const e = all.find((x) => x.name === name);
    if (e) out.push({ file: name, viaSymlink: e.isSymbolicLink() });
  }
  const specs = all.find((x) => x.name === "specs");
  if (specs && isDir(folderAbs, specs)) {
    for (const s of discoverSpecs(
      path.join(folderAbs, "specs"),
      specs.isSymbolicLink(),
      temps,
      dirs,
      untracked,
    ))
      out.push({ file: `specs/${s.id}/${SPEC_FILE}`, viaSymlink: s.viaSymlink });
  }
  return out;
}

export function listTrackedFiles(folderAbs: string, kind: SpecKind): string[] {
  return listTrackedFilesDetailed(folderAbs, kind).map((t) => t.file);
}

/** Is `file` (relative to a folder of `kind`) one specsync tracks and lets users edit? */
export function isTrackedFile(kind: SpecKind, file: string): boolean {
  if (kind === "spec") return file === SPEC_FILE;
  if ((CHANGE_FILES as readonly string[]).includes(file)) return true;
  const m = file.match(/^specs\/(.+)\/spec\.md$/);
  return (
    !!m?.[1] &&
    m[1].split("/").every((seg) => seg.length > 0 && !seg.startsWith(".") && seg !== "..")
  );
}
