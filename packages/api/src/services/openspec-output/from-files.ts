/**
 * `openspec list|show --json` straight from the files, with the sync engine's own readers and
 * parsers (the same functions that fill the rows CliOutputService reads). Used by the one-shot CLI
 * when no specsync server runs for the project (the database would only be the last sync's copy),
 * and by CliOutputService for change folders the database does not hold (hidden ones: the sync
 * skips them).
 */
import {
  accessSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
} from "node:fs";
import path from "node:path";
import type { ChangeShowJson, SpecShowJson } from "@specsync/validators";
import {
  describeNestedChange,
  findNestedChanges,
  folderLastModified,
} from "../../utils/fs/change-folder";
import { readTextFileConfined } from "../../utils/fs/safe-open";
import { listTrackedFiles, SPEC_FILE } from "../../utils/fs/scan-workspace";
import { countTasksInFile } from "../../utils/openspec/count-tasks";
import { parseTasks, summarizeTasks } from "../../utils/openspec/tasks";
import { cliSpecContent, cliSpecDiscovery, readLenient } from "./cli-read";
import {
  type ChangeListEntry,
  type CliResult,
  type ListSort,
  listError,
  type RootOutput,
  renderChangeList,
  renderShow,
  renderShowWithoutItem,
  renderSpecList,
  resolveShowItem,
  type ShowableChange,
  type ShowableSpec,
  type ShowType,
  specListError,
  textError,
} from "./format";

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `changes/` as `openspec list` reads it: directories (not symlinks to them) but `archive`, in
 * readdir order (ties in lastModified keep it). Hidden folders included, as the CLI lists them.
 * [] when there is no `changes/`; null when it cannot be read.
 */
export function activeChangeDirs(rootPath: string): string[] | null {
  try {
    return readdirSync(path.join(rootPath, "openspec", "changes"), { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name !== "archive")
      .map((e) => e.name);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? [] : null;
  }
}

/**
 * Why `openspec list` fails on `changes/<name>/tasks.md`, if it does: before counting tasks the CLI
 * proves the file is inside its change folder (FileSystemUtils.assertPathWithin), so a link out of
 * the folder, a dangling link or a link loop fails the whole list. Only links are resolved here;
 * nothing outside the root is read.
 */
function tasksPathError(changesDir: string, name: string): string | null {
  const folder = path.join(changesDir, name);
  const file = path.join(folder, "tasks.md");
  try {
    if (!lstatSync(file).isSymbolicLink()) return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? null : (err as Error).message;
  }
  try {
    const target = realpathSync.native(file);
    return within(realpathSync.native(folder), target)
      ? null
      : `Path is outside the allowed directory: ${file}`;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT"
      ? `Cannot verify dangling symbolic link: ${file}`
      : (err as Error).message;
  }
}

/** The first change (in the CLI's visiting order) whose tasks.md fails `openspec list`. */
export function listTasksError(rootPath: string, dirs: readonly string[]): string | null {
  const changesDir = path.join(rootOutput(rootPath).path, "openspec", "changes");
  for (const name of dirs) {
    const error = tasksPathError(changesDir, name);
    if (error) return error;
  }
  return null;
}

/** The ids `openspec show` resolves without `--type` (getActiveChangeIds): no hidden folders. */
export const showableChangeIds = (dirs: readonly string[]) =>
  dirs.filter((n) => !n.startsWith(".")).sort(byCodeUnit);

/** The CLI's `root`: the canonical path of the folder holding `openspec/`. */
export function rootOutput(rootPath: string): RootOutput {
  let p = path.resolve(rootPath);
  try {
    p = realpathSync(p);
  } catch {
    // gone: print it as configured
  }
  return { path: p, source: "nearest" };
}

/** A folder's tracked files, read as the sync reads them (confined, strict UTF-8), if readable. */
function readTracked(
  openspecDir: string,
  folder: string,
  kind: "change" | "spec",
  only?: string,
  errors: Record<string, string> = {},
): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of listTrackedFiles(folder, kind)) {
    if (only && file !== only) continue;
    try {
      files[file] = readTextFileConfined(openspecDir, path.join(folder, file)).content;
    } catch (err) {
      // binary, too large, outside the root, vanished: the sync records the folder as failed
      errors[file] = (err as Error).message;
    }
  }
  return files;
}

/** The path with its symlinks resolved (as the CLI's canonicalizePotentialPath, roughly). */
function canonical(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    try {
      return path.join(realpathSync.native(path.dirname(p)), path.basename(p));
    } catch {
      return path.resolve(p);
    }
  }
}

/** FileSystemUtils.isPathWithin of the CLI. */
function within(dir: string, target: string): boolean {
  const rel = path.relative(dir, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

const OUTSIDE = "Path is outside the allowed directory: ";

/**
 * Why `openspec show <change>` refuses a proposal.md that exists, in the CLI's words (its
 * assertPathWithin: the file, symlinks resolved, must stay in the change folder; reading a
 * directory is EISDIR), or null. `changesDir` is under the canonical root, as the CLI's.
 */
export function proposalRefusal(changesDir: string, id: string): string | null {
  const proposal = path.join(changesDir, id, "proposal.md");
  try {
    accessSync(proposal);
  } catch {
    return null; // missing or dangling: the "no proposal.md yet" answer
  }
  if (!within(canonical(path.join(changesDir, id)), canonical(proposal))) return OUTSIDE + proposal;
  try {
    const stat = statSync(proposal);
    if (stat.isDirectory()) return "EISDIR: illegal operation on a directory, read";
    // A FIFO or device would hang the CLI's read; specsync refuses it, in the same shape.
    if (!stat.isFile()) return `${proposal} is not a regular file`;
  } catch (err) {
    return (err as Error).message;
  }
  return null;
}

/**
 * The first folder `openspec list` cannot open, as its error: a name that is not valid UTF-8
 * comes back from readdir with U+FFFD in place of the bad bytes, and no such path exists. Null
 * when every folder opens.
 */
export function unopenableChangeDir(rootPath: string, dirs: readonly string[]): string | null {
  const changesDir = path.join(rootOutput(rootPath).path, "openspec", "changes");
  for (const name of dirs) {
    if (!name.includes("\uFFFD")) continue;
    try {
      readdirSync(path.join(changesDir, name));
    } catch (err) {
      return (err as Error).message;
    }
  }
  return null;
}

/** One `list` entry for `changes/<name>`; null when the folder vanished meanwhile. */
export function changeEntryFromFiles(rootPath: string, name: string): ChangeListEntry | null {
  const openspecDir = path.join(rootPath, "openspec");
  const changesDir = path.join(openspecDir, "changes");
  const folder = path.join(changesDir, name);
  try {
    const tracked = listTrackedFiles(folder, "change");
    const tasks = tracked.includes("tasks.md")
      ? readTracked(openspecDir, folder, "change", "tasks.md")["tasks.md"]
      : undefined;
    // Unreadable to the sync (over the size limit, bad bytes): a line scan counts what the CLI
    // counts; nothing but the current line is kept.
    const summary =
      tasks === undefined && tracked.includes("tasks.md")
        ? (countTasksInFile(openspecDir, path.join(folder, "tasks.md")) ?? {
            total: 0,
            completed: 0,
          })
        : summarizeTasks(parseTasks(tasks ?? ""));
    const nested = tracked.length ? null : findNestedChanges(changesDir, name);
    const lastModified = folderLastModified(folder);
    return {
      name,
      completedTasks: summary.completed,
      totalTasks: summary.total,
      lastModified,
      nested: nested ?? undefined,
    };
  } catch {
    return null;
  }
}

const noProposal = (id: string) =>
  `Change "${id}" has no proposal.md yet. ` +
  `Run "openspec status --change ${id}" to see which artifact comes next.`;

/** `changes/<id>` as `show --type change --json` reads it (any folder name, hidden or linked). */
export async function changeFromFiles(
  rootPath: string,
  id: string,
): Promise<ShowableChange | null> {
  const changesDir = path.join(rootOutput(rootPath).path, "openspec", "changes");
  const folder = path.join(changesDir, id);
  if (path.dirname(path.resolve(folder)) !== path.resolve(changesDir)) return null;
  try {
    if (!statSync(folder).isDirectory()) return null;
  } catch {
    return null;
  }
  const refusal = proposalRefusal(changesDir, id);
  if (refusal) return { show: null, showError: refusal };
  const proposal = path.join(folder, "proposal.md");
  try {
    accessSync(proposal);
  } catch {
    const nested = findNestedChanges(changesDir, id);
    return { show: null, showError: noProposal(id), nested: nested ?? undefined };
  }
  const files: Record<string, string> = {};
  try {
    files["proposal.md"] = readLenient(proposal);
  } catch (err) {
    return { show: null, showError: (err as Error).message };
  }
  // ChangeParser: delta specs found as the CLI finds them (a link out of its capability fails
  // the change), read as it reads them (U+FFFD for bad bytes, no size limit, skipped if
  // unreadable).
  const deltas = cliSpecDiscovery(path.join(folder, "specs"));
  for (const { id: cap, specFile } of deltas.files) {
    try {
      files[`specs/${cap}/${SPEC_FILE}`] = readLenient(specFile);
    } catch {
      // the CLI skips a delta spec it cannot read
    }
  }
  const { deriveFields } = await import("../../utils/openspec/derive");
  const { show, showError } = deriveFields("change", id, files).parsed;
  // The proposal's own errors come first (the CLI parses it before it looks for delta specs).
  if (show && deltas.error) return { show: null, showError: deltas.error };
  return { show: show as ChangeShowJson | null, showError };
}

/** `openspec show <id> --type spec --json` from the files (SpecCommand.show). */
export async function specFromFiles(rootPath: string, id: string): Promise<ShowableSpec> {
  const read = cliSpecContent(rootOutput(rootPath).path, id);
  if ("error" in read) return { show: null, showError: read.error };
  const { deriveFields } = await import("../../utils/openspec/derive");
  const { show, showError } = deriveFields("spec", id, { [SPEC_FILE]: read.content }).parsed;
  return { show: show as SpecShowJson | null, showError };
}

/** What `openspec show` prints without `--json`: the file, as it reads it (lenient UTF-8). */
function printedFile(abs: string): CliResult {
  try {
    return { stdout: `${readFileSync(abs, "utf8")}\n`, stderr: "", exitCode: 0 };
  } catch (err) {
    return textError((err as Error).message);
  }
}

/** `openspec show <change>` without `--json` (ChangeCommand.show): proposal.md, raw. */
function changeText(changesDir: string, id: string): CliResult {
  const changeDir = path.join(changesDir, id);
  const proposal = path.join(changeDir, "proposal.md");
  const notFound = textError(`Change "${id}" not found at ${proposal}`);
  if (path.dirname(path.resolve(changeDir)) !== path.resolve(changesDir)) return notFound;
  try {
    accessSync(proposal);
  } catch {
    let isDir = false;
    try {
      isDir = statSync(changeDir).isDirectory();
    } catch {
      // gone: not found
    }
    if (!isDir) return notFound;
    const nested = findNestedChanges(changesDir, id);
    if (nested) return textError(describeNestedChange(id, nested));
    return textError(noProposal(id));
  }
  const refusal = proposalRefusal(changesDir, id);
  return refusal ? textError(refusal) : printedFile(proposal);
}

/** `openspec show <spec>` without `--json` (SpecCommand.show, assertSpecPath): spec.md, raw. */
function specText(specsDir: string, id: string): CliResult {
  const specPath = path.join(specsDir, id, SPEC_FILE);
  const outside = textError(OUTSIDE + specPath);
  if (!within(path.resolve(specsDir), path.resolve(specPath))) return outside;
  const target = canonical(specPath);
  // A capability folder may be a symlink (a monorepo's): then its own folder is the bound.
  if (!within(canonical(specsDir), target) && !within(canonical(path.dirname(specPath)), target))
    return outside;
  if (!existsSync(specPath)) return textError(`Spec '${id}' not found at ${specPath}`);
  try {
    if (!statSync(specPath).isFile() && !statSync(specPath).isDirectory())
      return textError(`${specPath} is not a regular file`);
  } catch {
    // vanished: the read says so
  }
  return printedFile(specPath);
}

/** `openspec show <id> [--type …]` without `--json`, from the files in `root` (canonical). */
export function showText(rootPath: string, id: string | undefined, type: ShowType): CliResult {
  if (!id) return renderShowWithoutItem();
  const root = rootOutput(rootPath).path;
  const specs = cliSpecDiscovery(path.join(root, "openspec", "specs"));
  if (specs.error && type !== "change") return textError(specs.error);
  const resolved = resolveShowItem(
    {
      id,
      type,
      changeIds: showableChangeIds(activeChangeDirs(root) ?? []),
      specIds: specs.files.map((f) => f.id),
    },
    false,
  );
  if (typeof resolved !== "string") return resolved;
  return resolved === "change"
    ? changeText(path.join(root, "openspec", "changes"), id)
    : specText(path.join(root, "openspec", "specs"), id);
}

/**
 * `openspec list --specs --json`'s entries for the given spec files (CliSpecFile), read as the CLI
 * reads them: leniently (U+FFFD for bad bytes, no size limit), 0 requirements when unparsable.
 */
export async function specEntriesFromFiles(
  files: readonly { id: string; specFile: string }[],
): Promise<{ id: string; requirementCount: number }[]> {
  if (!files.length) return [];
  const { deriveFields } = await import("../../utils/openspec/derive");
  return files.map(({ id, specFile }) => {
    let requirementCount = 0;
    try {
      const content = readLenient(specFile);
      requirementCount = deriveFields("spec", id, { [SPEC_FILE]: content }).requirementCount;
    } catch {
      // The CLI lists a spec it cannot read with 0 requirements.
    }
    return { id, requirementCount };
  });
}

/** `openspec list --specs --json` from the files: the CLI's discovery (links, nesting), its reads. */
export async function specListFromFiles(rootPath: string): Promise<CliResult> {
  const found = cliSpecDiscovery(path.join(rootPath, "openspec", "specs"));
  if (found.error) return specListError(found.error);
  return renderSpecList(await specEntriesFromFiles(found.files), rootOutput(rootPath));
}

/** `openspec list|show --json`, byte for byte, from the files as they are now; no database. */
export class FilesCliOutput {
  async list(
    rootPath: string,
    opts: { specs?: boolean; sort?: ListSort } = {},
  ): Promise<CliResult> {
    const root = rootOutput(rootPath);
    if (opts.specs) return specListFromFiles(rootPath);
    const dirs = activeChangeDirs(rootPath);
    if (dirs === null) throw new Error(`cannot read ${path.join(rootPath, "openspec", "changes")}`);
    const unopenable = unopenableChangeDir(rootPath, dirs);
    if (unopenable) return listError(unopenable);
    const failure = listTasksError(rootPath, dirs);
    if (failure) return listError(failure);
    const entries = dirs
      .map((name) => changeEntryFromFiles(rootPath, name))
      .filter((e) => e !== null);
    return renderChangeList(entries, root, dirs, opts.sort);
  }

  async show(rootPath: string, id: string | undefined, type: ShowType): Promise<CliResult> {
    if (!id) return renderShowWithoutItem();
    const root = rootOutput(rootPath);
    const changeIds = showableChangeIds(activeChangeDirs(rootPath) ?? []);
    const specs = cliSpecDiscovery(path.join(root.path, "openspec", "specs"));
    const specIds = specs.files.map((f) => f.id);
    const wantsChange = type === "change" || (type === undefined && changeIds.includes(id));
    const wantsSpec =
      type === "spec" || (type === undefined && !changeIds.includes(id) && specIds.includes(id));
    return renderShow({
      id,
      type,
      root,
      openspecDir: path.join(root.path, "openspec"),
      changeIds,
      specIds,
      specIdsError: specs.error,
      change: wantsChange ? await changeFromFiles(rootPath, id) : null,
      spec: wantsSpec && !specs.error ? await specFromFiles(rootPath, id) : null,
    });
  }
}
