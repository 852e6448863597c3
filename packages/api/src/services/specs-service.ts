import {
  and,
  asc,
  changeClaims,
  desc,
  eq,
  gte,
  inArray,
  isNull,
  lte,
  openspecSpecs,
  sql,
  syncChecks,
  syncHistory,
  type Database,
  type SpecRow,
} from "@specsync/db";
import {
  listSpecsInputSchema,
  PRIORITY_RANK,
  STATUS_TRANSITIONS,
  type ChangeListItemJson,
  type ListSpecsInput,
  type SetPriorityInput,
  type SetStatusInput,
  type SpecShowJson,
  type ToggleTaskInput,
  type UpdateFileInput,
} from "@specsync/validators";
import { SpecsyncError } from "../utils/errors";
import { outline, parseTasks, toggleTask as toggleTaskContent } from "../utils/openspec";
import { byCodeUnit } from "../utils/openspec/change-show";
import type { OpenSpecSyncService } from "./openspec-sync-service";
import { filesOfRow } from "./spec-files";
import type { SyncEventBus } from "./sync-events";

/** The columns a list needs: never the (large) content columns. */
const listColumns = {
  id: openspecSpecs.id,
  projectId: openspecSpecs.projectId,
  kind: openspecSpecs.kind,
  name: openspecSpecs.name,
  path: openspecSpecs.path,
  title: openspecSpecs.title,
  archived: openspecSpecs.archived,
  archivedOn: openspecSpecs.archivedOn,
  status: openspecSpecs.status,
  priority: openspecSpecs.priority,
  tasksTotal: openspecSpecs.tasksTotal,
  tasksCompleted: openspecSpecs.tasksCompleted,
  completion: openspecSpecs.completion,
  requirementCount: openspecSpecs.requirementCount,
  deltaCount: openspecSpecs.deltaCount,
  syncError: openspecSpecs.syncError,
  parseError: openspecSpecs.parseError,
  conflict: openspecSpecs.conflict,
  pendingFiles: openspecSpecs.pendingFiles,
  /** Last time the row was synced or verified unchanged. */
  lastSyncedAt: sql<Date | null>`greatest(${openspecSpecs.lastSyncedAt}, (select ${syncChecks.checkedAt} from ${syncChecks} where ${syncChecks.specId} = ${openspecSpecs.id}))`.mapWith(openspecSpecs.lastSyncedAt),
  fileModifiedAt: openspecSpecs.fileModifiedAt,
  /** Owner and start of the live claim, if any (claims-service). */
  claimedBy: sql<string | null>`(select ${changeClaims.owner} from ${changeClaims} where ${changeClaims.specId} = ${openspecSpecs.id} and ${changeClaims.expiresAt} > now())`,
  claimedAt: sql<Date | null>`(select ${changeClaims.claimedAt} from ${changeClaims} where ${changeClaims.specId} = ${openspecSpecs.id} and ${changeClaims.expiresAt} > now())`.mapWith(changeClaims.claimedAt),
  createdAt: openspecSpecs.createdAt,
  updatedAt: openspecSpecs.updatedAt,
};

export type SpecListItem = { [K in Exclude<keyof typeof listColumns, "claimedBy" | "claimedAt">]: SpecRow[K] } & { claimedBy: string | null; claimedAt: Date | null };

const STATUS_ORDER = sql`array_position(array['in_progress','review','assigned','approved','proposing','applied','archived']::text[], ${openspecSpecs.status})`;

/** Queries and lifecycle edits on specs and changes. Content edits go through the sync engine. */
export class SpecsService {
  constructor(
    private readonly database: Database,
    private readonly sync: OpenSpecSyncService,
    private readonly events: SyncEventBus,
  ) {}

  private get db() {
    return this.database.db;
  }

  async list(input: ListSpecsInput) {
    const q = listSpecsInputSchema.parse(input);
    const search = q.search ? sql`websearch_to_tsquery('english', ${q.search})` : null;
    const filters = [
      isNull(openspecSpecs.deletedAt),
      q.projectId ? eq(openspecSpecs.projectId, q.projectId) : undefined,
      q.kind ? eq(openspecSpecs.kind, q.kind) : undefined,
      q.archived !== undefined ? eq(openspecSpecs.archived, q.archived) : undefined,
      q.minCompletion !== undefined ? gte(openspecSpecs.completion, q.minCompletion) : undefined,
      q.maxCompletion !== undefined ? lte(openspecSpecs.completion, q.maxCompletion) : undefined,
      q.claimed === undefined ? undefined : sql`${sql.raw(q.claimed ? "" : "not ")}exists (select 1 from ${changeClaims} where ${changeClaims.specId} = ${openspecSpecs.id} and ${changeClaims.expiresAt} > now())`,
      q.claimedBy ? sql`exists (select 1 from ${changeClaims} where ${changeClaims.specId} = ${openspecSpecs.id} and ${changeClaims.owner} = ${q.claimedBy} and ${changeClaims.expiresAt} > now())` : undefined,
      search ? sql`(${openspecSpecs.search} @@ ${search} or ${openspecSpecs.name} ilike ${"%" + q.search!.replace(/[\\%_]/g, "\\$&") + "%"})` : undefined,
    ];
    const where = and(...filters, q.status?.length ? inArray(openspecSpecs.status, q.status) : undefined, q.priority?.length ? inArray(openspecSpecs.priority, q.priority) : undefined);
    const dir = (d: "asc" | "desc") => (d === "asc" ? asc : desc);
    const order = q.order ?? (q.sort === "name" || q.sort === "priority" || q.sort === "status" ? "asc" : "desc");
    const primary = {
      priority: dir(order)(openspecSpecs.priorityRank),
      status: order === "asc" ? sql`${STATUS_ORDER} asc` : sql`${STATUS_ORDER} desc`,
      updated: dir(order)(openspecSpecs.updatedAt),
      created: dir(order)(openspecSpecs.createdAt),
      name: dir(order)(openspecSpecs.name),
      completion: dir(order)(openspecSpecs.completion),
    }[q.sort];
    const offset = q.cursor ?? 0;
    const rows = await this.db
      .select(listColumns)
      .from(openspecSpecs)
      .where(where)
      .orderBy(primary, asc(openspecSpecs.name), asc(openspecSpecs.id))
      .limit(q.limit + 1)
      .offset(offset);
    const hasMore = rows.length > q.limit;
    if (hasMore) rows.pop();
    const facets = q.withFacets ? await this.facets(and(...filters)) : null;
    return { items: rows as SpecListItem[], nextCursor: hasMore ? offset + q.limit : null, facets };
  }

  /** Counts per status, priority and kind for the current filters (except status/priority themselves). */
  private async facets(where: ReturnType<typeof and>) {
    const rows = await this.db
      .select({ status: openspecSpecs.status, priority: openspecSpecs.priority, kind: openspecSpecs.kind, archived: openspecSpecs.archived, n: sql<number>`count(*)::int` })
      .from(openspecSpecs)
      .where(where)
      .groupBy(openspecSpecs.status, openspecSpecs.priority, openspecSpecs.kind, openspecSpecs.archived);
    const status: Record<string, number> = {};
    const priority: Record<string, number> = {};
    const kind: Record<string, number> = {};
    let total = 0;
    for (const r of rows) {
      status[r.status] = (status[r.status] ?? 0) + r.n;
      priority[r.priority] = (priority[r.priority] ?? 0) + r.n;
      kind[r.kind] = (kind[r.kind] ?? 0) + r.n;
      total += r.n;
    }
    return { status, priority, kind, total };
  }

  /** Raw content plus parsed structure, ready for a change page. */
  async get(id: string) {
    const row = await this.sync.getRow(id);
    const files = filesOfRow(row);
    const tasks = parseTasks(files["tasks.md"] ?? "");
    const [recent] = await this.db
      .select({ n: sql<number>`count(*)::int`, failures: sql<number>`count(*) filter (where not ${syncHistory.success})::int`, last: sql<Date | null>`max(${syncHistory.createdAt})` })
      .from(syncHistory)
      .where(eq(syncHistory.specId, id));
    const outlines: Record<string, ReturnType<typeof outline>> = {};
    for (const [f, c] of Object.entries(files)) if (f.endsWith(".md")) outlines[f] = outline(c);
    // Content is returned once, byte-exact, in `files` (the columns lack any leading BOM).
    const { proposalContent: _p, tasksContent: _t, designContent: _d, metaContent: _m, specContent: _c, deltaSpecs: _ds, bomFiles: _b, ...rest } = row;
    return {
      ...rest,
      files,
      tasks: tasks.map(({ markOffset: _m, emptyBox: _e, ...t }) => t),
      outlines,
      history: { count: recent?.n ?? 0, failures: recent?.failures ?? 0, lastAt: recent?.last ?? null },
    };
  }

  async update(input: UpdateFileInput) {
    const { row, hash } = await this.sync.writeFile(input);
    return { id: row.id, file: input.file, hash, contentHashes: row.contentHashes };
  }

  /** Tick or untick one task: exactly one character of tasks.md changes. */
  async toggleTask(input: ToggleTaskInput) {
    const row = await this.sync.getRow(input.id);
    if (row.kind !== "change") throw new SpecsyncError("BAD_REQUEST", "only changes have tasks");
    const currentHash = row.contentHashes["tasks.md"];
    const tasks = filesOfRow(row)["tasks.md"];
    if (!currentHash || tasks === undefined) throw new SpecsyncError("NOT_FOUND", "this change has no tasks.md");
    if (currentHash !== input.baseHash) {
      throw new SpecsyncError("CONFLICT", "tasks.md was changed since you loaded it", { currentContent: tasks, currentHash });
    }
    const next = toggleTaskContent(tasks, input.taskId, input.done);
    if (next === null) throw new SpecsyncError("NOT_FOUND", `task ${input.taskId} not found in tasks.md`);
    return this.update({ id: input.id, file: "tasks.md", content: next, baseHash: input.baseHash, actor: input.actor });
  }

  async setStatus(input: SetStatusInput) {
    const row = await this.sync.getRow(input.id);
    const actor = input.actor ?? "anonymous";
    if (row.status === input.status) return row;
    if (!STATUS_TRANSITIONS[row.status].includes(input.status)) {
      throw new SpecsyncError("BAD_REQUEST", `cannot move from ${row.status} to ${input.status}; allowed: ${STATUS_TRANSITIONS[row.status].join(", ")}`);
    }
    const [updated] = await this.db
      .update(openspecSpecs)
      .set({ status: input.status, statusChangedAt: new Date(), statusChangedBy: actor, updatedAt: new Date() })
      .where(and(eq(openspecSpecs.id, row.id), eq(openspecSpecs.status, row.status)))
      .returning();
    if (!updated) throw new SpecsyncError("CONFLICT", "the status was changed by someone else; reload and try again");
    this.events.publish({ type: "spec_changed", projectId: row.projectId, specId: row.id, name: row.name });
    return updated;
  }

  async setPriority(input: SetPriorityInput) {
    const row = await this.sync.getRow(input.id);
    const [updated] = await this.db
      .update(openspecSpecs)
      .set({ priority: input.priority, priorityRank: PRIORITY_RANK[input.priority], updatedAt: new Date() })
      .where(eq(openspecSpecs.id, row.id))
      .returning();
    this.events.publish({ type: "spec_changed", projectId: row.projectId, specId: row.id, name: row.name });
    return updated!;
  }

  /** The work queue: highest priority approved/assigned change that is not complete, oldest first on ties. */
  async next(projectId?: string): Promise<SpecListItem | null> {
    const [row] = await this.db
      .select(listColumns)
      .from(openspecSpecs)
      .where(
        and(
          isNull(openspecSpecs.deletedAt),
          eq(openspecSpecs.kind, "change"),
          eq(openspecSpecs.archived, false),
          inArray(openspecSpecs.status, ["approved", "assigned"]),
          sql`(${openspecSpecs.tasksTotal} = 0 or ${openspecSpecs.tasksCompleted} < ${openspecSpecs.tasksTotal})`,
          projectId ? eq(openspecSpecs.projectId, projectId) : undefined,
        ),
      )
      .orderBy(asc(openspecSpecs.priorityRank), asc(openspecSpecs.createdAt), asc(openspecSpecs.name))
      .limit(1);
    return (row as SpecListItem | undefined) ?? null;
  }

  /** Changes whose delta specs touch a capability (active first). */
  async touching(projectId: string, capability: string) {
    return this.db
      .select(listColumns)
      .from(openspecSpecs)
      .where(and(isNull(openspecSpecs.deletedAt), eq(openspecSpecs.projectId, projectId), eq(openspecSpecs.kind, "change"), sql`${openspecSpecs.deltaSpecs} ? ${capability}`))
      .orderBy(asc(openspecSpecs.archived), desc(openspecSpecs.updatedAt))
      .limit(200);
  }

  /** Rows with an open conflict or a database edit still waiting to be written to disk. */
  async conflicts(projectId?: string) {
    return this.db
      .select({ ...listColumns, dbModifiedAt: openspecSpecs.dbModifiedAt })
      .from(openspecSpecs)
      .where(
        and(
          isNull(openspecSpecs.deletedAt),
          projectId ? eq(openspecSpecs.projectId, projectId) : undefined,
          sql`(${openspecSpecs.conflict} is not null or jsonb_array_length(${openspecSpecs.pendingFiles}) > 0)`,
        ),
      )
      .orderBy(desc(openspecSpecs.updatedAt))
      .limit(500);
  }

  // ------------------------------------------------------------ the CLI's JSON shapes, from the database

  /** `openspec list --json` (`changes` only; archived excluded, like the CLI). */
  async cliListChanges(projectId: string): Promise<ChangeListItemJson[]> {
    const rows = await this.db
      .select({ name: openspecSpecs.name, done: openspecSpecs.tasksCompleted, total: openspecSpecs.tasksTotal, modified: openspecSpecs.fileModifiedAt })
      .from(openspecSpecs)
      .where(and(eq(openspecSpecs.projectId, projectId), eq(openspecSpecs.kind, "change"), eq(openspecSpecs.archived, false), isNull(openspecSpecs.deletedAt)));
    return rows
      .map((r) => ({
        name: r.name,
        completedTasks: r.done,
        totalTasks: r.total,
        lastModified: (r.modified ?? new Date(0)).toISOString(),
        status: (r.total === 0 ? "no-tasks" : r.done === r.total ? "complete" : "in-progress") as ChangeListItemJson["status"],
      }))
      .sort((a, b) => b.lastModified.localeCompare(a.lastModified) || byCodeUnit(a.name, b.name));
  }

  /** `openspec list --specs --json`. */
  async cliListSpecs(projectId: string): Promise<{ id: string; requirementCount: number }[]> {
    const rows = await this.db
      .select({ id: openspecSpecs.name, requirementCount: openspecSpecs.requirementCount })
      .from(openspecSpecs)
      .where(and(eq(openspecSpecs.projectId, projectId), eq(openspecSpecs.kind, "spec"), isNull(openspecSpecs.deletedAt)));
    return rows.sort((a, b) => byCodeUnit(a.id, b.id));
  }

  /** `openspec show <id> --json`: an active change first, then a main spec (the CLI's lookup order). */
  async cliShow(projectId: string, id: string) {
    const rows = await this.db
      .select({ kind: openspecSpecs.kind, parsed: openspecSpecs.parsed, archived: openspecSpecs.archived })
      .from(openspecSpecs)
      .where(and(eq(openspecSpecs.projectId, projectId), eq(openspecSpecs.name, id), isNull(openspecSpecs.deletedAt)));
    const row = rows.find((r) => r.kind === "change" && !r.archived) ?? rows.find((r) => r.kind === "spec");
    if (!row) throw new SpecsyncError("NOT_FOUND", `no change or spec named "${id}"`);
    if (!row.parsed?.show) throw new SpecsyncError("BAD_REQUEST", row.parsed?.showError ?? `"${id}" cannot be shown`);
    const show = row.parsed.show;
    return row.kind === "spec" ? (show as SpecShowJson) : show;
  }
}
