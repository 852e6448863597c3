import { statSync } from "node:fs";
import path from "node:path";
import type { Database } from "@specsync/db";
import type { ParsedDocument } from "@specsync/validators";
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
} from "./format";
import {
  activeChangeDirs,
  changeEntryFromFiles,
  changeFromFiles,
  listTasksError,
  proposalRefusal,
  rootOutput,
  showableChangeIds,
  unopenableChangeDir,
} from "./from-files";

/**
 * Only raw queries: this service is loaded by the one-shot CLI, which must not pay for drizzle's
 * query builder.
 */
type Queryable = Pick<Database, "query">;

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

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

  async list(
    rootPath: string,
    opts: { specs?: boolean; sort?: ListSort } = {},
  ): Promise<CliResult | null> {
    const projectId = await this.projectId(rootPath);
    if (!projectId) return null;
    const root = rootOutput(rootPath);
    if (opts.specs) {
      const rows = await this.database.query<{ name: string; requirement_count: number }>(
        "select name, requirement_count from openspec_specs where project_id = $1 and kind = 'spec' and deleted_at is null",
        [projectId],
      );
      return renderSpecList(
        rows.map((r) => ({ id: r.name, requirementCount: r.requirement_count })),
        root,
      );
    }
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
    const parsedOf = (kind: string) => {
      const row = rows.find((r) => r.kind === kind);
      const p = row?.parsed;
      return p && !(kind === "change" && row.failed)
        ? { show: p.show, showError: p.showError, nested: p.nested }
        : null;
    };
    // `--type change` reads any folder under changes/ (hidden, symlinked); one the sync skips, or
    // could not read (its row is stale), comes from the files; a proposal.md the CLI refuses is
    // refused whatever the row says.
    const change = isChangeFolder(rootPath, id)
      ? (proposalRefused(rootPath, id) ??
        parsedOf("change") ??
        (await changeFromFiles(rootPath, id)))
      : null;
    const root = rootOutput(rootPath);
    return renderShow({
      id,
      type,
      root,
      openspecDir: path.join(root.path, "openspec"),
      changeIds: showableChangeIds(
        ids.filter((r) => r.kind === "change" && isActiveDir(r.name)).map((r) => r.name),
      ),
      specIds: ids
        .filter((r) => r.kind === "spec")
        .map((r) => r.name)
        .sort(byCodeUnit),
      change: change as never,
      spec: parsedOf("spec") as never,
    });
  }
}

export type { CliResult, ShowType } from "./format";
