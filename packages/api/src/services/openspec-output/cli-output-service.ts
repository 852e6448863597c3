import { lstatSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import type { Database } from "@specsync/db";
import type { ParsedDocument } from "@specsync/validators";
import { cliSpecDiscovery } from "./cli-read";
import {
  type ChangeListEntry,
  type CliResult,
  type ListSort,
  listError,
  renderChangeList,
  renderShow,
  renderShowWithoutItem,
  renderSpecList,
  type ShowType,
  specListError,
} from "./format";
import {
  activeChangeDirs,
  changeEntryFromFiles,
  changeFromFiles,
  listTasksError,
  proposalRefusal,
  rootOutput,
  showableChangeIds,
  specEntriesFromFiles,
  specFromFiles,
  unopenableChangeDir,
} from "./from-files";

/**
 * Only raw queries: this service is loaded by the one-shot CLI, which must not pay for drizzle's
 * query builder.
 */
type Queryable = Pick<Database, "query">;

/** Is `changes/<id>` a folder (symlinks followed), as `show --type change` requires? */
function isChangeFolder(rootPath: string, id: string): boolean {
  const changesDir = path.join(rootPath, "openspec", "changes");
  const folder = path.join(changesDir, id);
  if (path.dirname(path.resolve(folder)) !== path.resolve(changesDir)) return false;
  try {
    return statSync(folder).isDirectory();
  } catch {
    return false;
  }
}

/** Is `specs/<id>/spec.md` a regular file, no link on the way (the sync's row holds it)? */
function plainSpec(root: string, id: string): boolean {
  const specsDir = path.join(root, "openspec", "specs");
  const file = path.join(specsDir, id, "spec.md");
  try {
    return lstatSync(file).isFile() && realpathSync(file) === file;
  } catch {
    return false;
  }
}

/** Are the change's delta specs plain files the CLI finds as the sync does (no link)? */
function plainDeltas(root: string, id: string): boolean {
  const deltas = cliSpecDiscovery(path.join(root, "openspec", "changes", id, "specs"));
  return !deltas.error && deltas.files.every((f) => !f.linked);
}

function proposalRefused(rootPath: string, id: string) {
  const refusal = proposalRefusal(path.join(rootOutput(rootPath).path, "openspec", "changes"), id);
  return refusal ? { show: null, showError: refusal } : null;
}

/**
 * `openspec list|show --json`, byte for byte, from the database. `null` means the database does not
 * know the project (never synced): the caller syncs first or says so.
 */
export class CliOutputService {
  constructor(private readonly database: Queryable) {}

  private async projectId(rootPath: string): Promise<string | null> {
    const [row] = await this.database.query<{ id: string }>(
      "select id from projects where root_path = $1",
      [path.resolve(rootPath)],
    );
    return row?.id ?? null;
  }

  /**
   * The specs the CLI discovers (its walk: links to folders skipped, dangling links too), counted
   * from their rows; a spec the sync refused (not UTF-8, over 1 MiB) or never read is counted from
   * its file, as the CLI reads it.
   */
  private async specList(rootPath: string, projectId: string): Promise<CliResult> {
    const found = cliSpecDiscovery(path.join(rootPath, "openspec", "specs"));
    if (found.error) return specListError(found.error);
    const rows = await this.database.query<{ name: string; count: number; failed: boolean }>(
      "select name, requirement_count as count, sync_error is not null as failed from openspec_specs where project_id = $1 and kind = 'spec' and deleted_at is null",
      [projectId],
    );
    const counted = new Map(rows.filter((r) => !r.failed).map((r) => [r.name, r.count]));
    const entries = found.files.flatMap((f) => {
      const count = counted.get(f.id);
      return count === undefined ? [] : [{ id: f.id, requirementCount: count }];
    });
    const fromFiles = await specEntriesFromFiles(found.files.filter((f) => !counted.has(f.id)));
    return renderSpecList([...entries, ...fromFiles], rootOutput(rootPath));
  }

  async list(
    rootPath: string,
    opts: { specs?: boolean; sort?: ListSort } = {},
  ): Promise<CliResult | null> {
    const projectId = await this.projectId(rootPath);
    if (!projectId) return null;
    const root = rootOutput(rootPath);
    if (opts.specs) return this.specList(rootPath, projectId);
    const rows = await this.database.query<{
      name: string;
      done: number;
      total: number;
      modified: Date | string | null;
      nested: string[] | null;
      failed: boolean;
    }>(
      "select name, tasks_completed as done, tasks_total as total, file_modified_at as modified, parsed->'nested' as nested, sync_error is not null as failed from openspec_specs where project_id = $1 and kind = 'change' and not archived and deleted_at is null",
      [projectId],
    );
    const dirOrder = activeChangeDirs(rootPath);
    // A folder the CLI cannot open (a name that is not UTF-8) fails its whole list: so here.
    const unopenable = dirOrder && unopenableChangeDir(rootPath, dirOrder);
    if (unopenable) return listError(unopenable);
    const failure = listTasksError(rootPath, dirOrder ?? []);
    if (failure) return listError(failure);
    const listed = dirOrder ? new Set(dirOrder) : null;
    const entries: ChangeListEntry[] = rows
      .filter((r) => !listed || listed.has(r.name))
      .map(
        (r) =>
          // A folder the sync could not read has stale or no values in its row; the CLI reads
          // what it can (tasks.md, mtimes): so do the files (only these few folders).
          (r.failed ? changeEntryFromFiles(rootPath, r.name) : null) ?? {
            name: r.name,
            completedTasks: r.done,
            totalTasks: r.total,
            lastModified: r.modified ? new Date(r.modified) : new Date(0),
            nested: r.nested ?? undefined,
          },
      );
    // Hidden folders are listed by the CLI but never synced (the sync skips dot-entries): read from the files.
    for (const name of dirOrder ?? []) {
      if (!name.startsWith(".")) continue;
      const entry = changeEntryFromFiles(rootPath, name);
      if (entry) entries.push(entry);
    }
    return renderChangeList(entries, root, dirOrder ?? [], opts.sort);
  }

  async show(rootPath: string, id: string | undefined, type: ShowType): Promise<CliResult | null> {
    const projectId = await this.projectId(rootPath);
    if (!projectId) return null;
    if (!id) return renderShowWithoutItem();
    const ids = await this.database.query<{ kind: string; name: string }>(
      "select kind, name from openspec_specs where project_id = $1 and deleted_at is null and (kind = 'spec' or not archived)",
      [projectId],
    );
    const rows = await this.database.query<{
      kind: string;
      parsed: ParsedDocument | null;
      failed: boolean;
    }>(
      "select kind, parsed, sync_error is not null as failed from openspec_specs where project_id = $1 and name = $2 and deleted_at is null and (kind = 'spec' or not archived)",
      [projectId, id],
    );
    const dirs = activeChangeDirs(rootPath);
    const isActiveDir = (name: string) => !dirs || dirs.includes(name);
    const root = rootOutput(rootPath);
    // Spec ids and their failure as the CLI finds them on disk (it skips linked folders, fails
    // on a spec.md linked out of its capability), not as the sync does.
    const specs = cliSpecDiscovery(path.join(root.path, "openspec", "specs"));
    const specIds = specs.files.map((f) => f.id);
    const parsedOf = (kind: string) => {
      const row = rows.find((r) => r.kind === kind);
      const p = row?.parsed;
      return p && !row.failed ? { show: p.show, showError: p.showError, nested: p.nested } : null;
    };
    // `--type change` reads any folder under changes/ (hidden, symlinked); one the sync skips, or
    // could not read (its row is stale), or with linked delta specs the CLI may refuse, comes from
    // the files; a proposal.md the CLI refuses is refused whatever the row says.
    const change = isChangeFolder(rootPath, id)
      ? (proposalRefused(rootPath, id) ??
        (plainDeltas(root.path, id) ? parsedOf("change") : null) ??
        (await changeFromFiles(rootPath, id)))
      : null;
    const changeIds = showableChangeIds(
      ids.filter((r) => r.kind === "change" && isActiveDir(r.name)).map((r) => r.name),
    );
    const wantsSpec = type === "spec" || (!type && !changeIds.includes(id) && specIds.includes(id));
    // A spec.md that is a plain file the sync read has the CLI's answer in its row; a link, or
    // a file the sync refused (over 1 MiB, not UTF-8), is read as the CLI reads it.
    const spec =
      wantsSpec && !specs.error
        ? ((plainSpec(root.path, id) ? parsedOf("spec") : null) ??
          (await specFromFiles(rootPath, id)))
        : null;
    return renderShow({
      id,
      type,
      root,
      openspecDir: path.join(root.path, "openspec"),
      changeIds,
      specIds,
      specIdsError: specs.error,
      change: change as never,
      spec: spec as never,
    });
  }
}

export type { CliResult, ShowType } from "./format";
