import {
  and,
  asc,
  changeClaims,
  type Database,
  desc,
  eq,
  gte,
  inArray,
  isNull,
  lte,
  openspecSpecs,
  projects,
  type SpecRow,
  sql,
  syncChecks,
  syncHistory,
} from "@specsync/db";
import {
  type BulkUpdateInput,
  bulkUpdateInputSchema,
  type ListAfter,
  type ListSpecsInput,
  type LookupInput,
  listSpecsInputSchema,
  PRIORITY_RANK,
  projectSlug,
  type SetPriorityInput,
  type SetStatusInput,
  type SpecKind,
  STATUS_TRANSITIONS,
  statusMismatch,
  type ToggleTaskInput,
  type UpdateFileInput,
} from "@specsync/validators";
import type { SQL } from "drizzle-orm";
import type { SelectedFields } from "drizzle-orm/pg-core";
import { errorMessage, SpecsyncError } from "../utils/errors";
import type { PageJob, PageStructure } from "../utils/openspec";
import { present } from "../utils/present";
import type { FileEditService, SaveOptions } from "./file-edit-service";
import { ListCache } from "./list-cache";
import type { OpenSpecSyncService } from "./openspec-sync-service";
import { parseOffThread } from "./parse-pool";
import { filesOfRow } from "./spec-files";
import { withParsedOnRead } from "./sync/parsed-on-read";
import type { EditRow } from "./sync/types";
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
  /** Derived from the files: draft, in_progress, complete, archived (see the `stage` column). */
  stage: openspecSpecs.stage,
  /**
   * Findings of the last `openspec validate --strict` (counts only; the findings are on the
   * change page).
   */
  validationErrors: sql<number | null>`(${openspecSpecs.validation} ->> 'errors')::int`,
  validationWarnings: sql<number | null>`(${openspecSpecs.validation} ->> 'warnings')::int`,
  /** Last time the row was synced or verified unchanged (alone, or by its project's full sync). */
  lastSyncedAt: sql<Date | null>`greatest(${openspecSpecs.lastSyncedAt},
      (select ${syncChecks.checkedAt} from ${syncChecks} where ${syncChecks.specId} = ${openspecSpecs.id}),
      (select ${projects.checkedAt} from ${projects} where ${projects.id} = ${openspecSpecs.projectId}))`.mapWith(
    openspecSpecs.lastSyncedAt,
  ),
  fileModifiedAt: openspecSpecs.fileModifiedAt,
  /**
   * Owner and start of the live claim, if any (claims-service). Correlated subqueries, not joins:
   * PostgreSQL runs them above the sort and limit, for the page's rows only (a join probes every
   * matching row; EXPLAIN ANALYZE in docs/performance.md).
   */
  claimedBy: sql<
    string | null
  >`(select ${changeClaims.owner} from ${changeClaims} where ${changeClaims.specId} = ${openspecSpecs.id} and ${changeClaims.expiresAt} > now())`,
  claimedAt:
    sql<Date | null>`(select ${changeClaims.claimedAt} from ${changeClaims} where ${changeClaims.specId} = ${openspecSpecs.id} and ${changeClaims.expiresAt} > now())`.mapWith(
      changeClaims.claimedAt,
    ),
  createdAt: openspecSpecs.createdAt,
  updatedAt: openspecSpecs.updatedAt,
};

type ListColumn = keyof typeof listColumns;
export type SpecListItem = {
  [K in Exclude<
    ListColumn,
    "validationErrors" | "validationWarnings" | "claimedBy" | "claimedAt"
  >]: SpecRow[K];
} & {
  validationErrors: number | null;
  validationWarnings: number | null;
  claimedBy: string | null;
  claimedAt: Date | null;
};

export type SpecListPage = {
  items: SpecListItem[];
  nextCursor: number | null;
  /** Keyset cursor (pass as `after`): the last row's sort key when there are more rows. */
  nextAfter: ListAfter | null;
  facets: {
    status: Record<string, number>;
    priority: Record<string, number>;
    kind: Record<string, number>;
    total: number;
  } | null;
  /**
   * Rows this search matched by name and title only: their search vector is still being filled
   * (a bulk import's background fill) and there were too many to compute here. 0 when none, or
   * without a search.
   */
  searchPending: number;
};

const DAY_MS = 86_400_000;

/**
 * Rows still waiting for their search vector that a search computes on the fly (≈ 1.5-5 ms each:
 * ≤ ~0.1 s of the database); above it, those rows match by name and title only.
 */
export const PENDING_SEARCHED = 25;

const STATUS_ORDER = sql`array_position(array['in_progress','review','assigned','approved','proposing','applied','archived']::text[], ${openspecSpecs.status})`;

/** Queries and lifecycle edits on specs and changes. Content edits go through the sync engine. */
export class SpecsService {
  constructor(
    private readonly database: Database,
    private readonly sync: OpenSpecSyncService,
    private readonly events: SyncEventBus,
    private readonly edits: FileEditService,
  ) {
    this.listCache = new ListCache(database);
  }

  private readonly listCache: ListCache;

  private get db() {
    return this.database.db;
  }

  /** The list columns (plus `extra`) of `openspec_specs`. */
  private selectList<E extends SelectedFields>(extra: E = {} as E) {
    return this.db.select({ ...listColumns, ...extra }).from(openspecSpecs);
  }

  /**
   * Parsed page structure (tasks, requirements) by content hash: files rarely change between views.
   * Least recently used first (a Map keeps order).
   */
  private readonly structures = new Map<string, unknown>();

  private cached<T>(key: string | null): T | undefined {
    if (!key) return undefined;
    const hit = this.structures.get(key);
    if (hit !== undefined) {
      this.structures.delete(key);
      this.structures.set(key, hit);
    }
    return hit as T | undefined;
  }

  private remember(key: string | null, value: unknown): void {
    if (!key || value === undefined) return;
    if (this.structures.size >= 2000) {
      const oldest = this.structures.keys().next();
      if (!oldest.done) this.structures.delete(oldest.value);
    }
    this.structures.set(key, value);
  }

  /**
   * What a page shows besides the raw files. Whatever is not cached is parsed in one job, on a worker thread
   * when the files are big. A failed parse gives an empty structure and `structureError`, never a failed page.
   */
  private async structureOf(
    kind: SpecKind,
    files: Record<string, string>,
    hashes: Record<string, string>,
  ) {
    const key = (what: string, file: string) => (hashes[file] ? `${what}:${hashes[file]}` : null);
    const out: Required<PageStructure> = { tasks: [], requirements: [] };
    const job: PageJob = { op: "page" };
    const tasks = this.cached<PageStructure["tasks"]>(key("tasks", "tasks.md"));
    if (tasks) out.tasks = tasks;
    else job.tasks = files["tasks.md"] ?? "";
    if (kind === "spec") {
      const reqs = this.cached<PageStructure["requirements"]>(key("requirements", "spec.md"));
      if (reqs) out.requirements = reqs;
      else job.requirements = files["spec.md"] ?? "";
    }
    const parsing = [
      job.tasks !== undefined && "tasks.md",
      job.requirements !== undefined && "spec.md",
    ];
    const names = parsing.filter((f) => f !== false);
    if (!names.length) return { ...out, structureError: null };
    try {
      const parsed = await parseOffThread(job);
      if (parsed.tasks) {
        out.tasks = parsed.tasks;
        this.remember(key("tasks", "tasks.md"), parsed.tasks);
      }
      const reqs = parsed.requirements;
      if (reqs) {
        out.requirements = reqs;
        this.remember(key("requirements", "spec.md"), reqs);
      }
      return { ...out, structureError: null };
    } catch (err) {
      return {
        ...out,
        structureError: `could not parse ${names.join(", ")}: ${errorMessage(err)}`,
      };
    }
  }

  /**
   * A page of rows (never the content columns), plus facets when asked. Whole answers are cached
   * by input while the list generation holds (list-cache.ts); the claim filters depend on the
   * clock, so they are always queried.
   */
  async list(input: ListSpecsInput): Promise<SpecListPage> {
    const q = listSpecsInputSchema.parse(input);
    if (q.claimed !== undefined || q.claimedBy) return (await this.queryList(q)).page;
    const key = JSON.stringify(q);
    // Read before the page's queries: a write committed in between only makes the entry stale.
    const gen = await this.listCache.generation();
    const hit = this.listCache.get<SpecListPage>(key, gen);
    if (hit) return hit;
    const started = performance.now();
    const { page, ttlMs } = await this.queryList(q);
    return this.listCache.set(key, gen, page, started + ttlMs);
  }

  /** The page's queries; `ttlMs`: until the first claim shown expires (a day when none). */
  private async queryList(q: ReturnType<typeof listSpecsInputSchema.parse>) {
    const filters = [
      isNull(openspecSpecs.deletedAt),
      q.projectId ? eq(openspecSpecs.projectId, q.projectId) : undefined,
      q.kind ? eq(openspecSpecs.kind, q.kind) : undefined,
      q.archived !== undefined ? eq(openspecSpecs.archived, q.archived) : undefined,
      q.stage?.length ? inArray(openspecSpecs.stage, q.stage) : undefined,
      q.hasValidationErrors === true
        ? sql`(${openspecSpecs.validation} ->> 'errors')::int > 0`
        : undefined,
      q.minCompletion !== undefined ? gte(openspecSpecs.completion, q.minCompletion) : undefined,
      q.maxCompletion !== undefined ? lte(openspecSpecs.completion, q.maxCompletion) : undefined,
      q.claimed === undefined
        ? undefined
        : sql`${sql.raw(q.claimed ? "" : "not ")}exists (select 1 from ${changeClaims} where ${changeClaims.specId} = ${openspecSpecs.id} and ${changeClaims.expiresAt} > now())`,
      q.claimedBy
        ? sql`exists (select 1 from ${changeClaims} where ${changeClaims.specId} = ${openspecSpecs.id} and ${changeClaims.owner} = ${q.claimedBy} and ${changeClaims.expiresAt} > now())`
        : undefined,
    ];
    const { clause, searchPending } = await this.searchClause(q.search, filters);
    filters.push(clause);
    const where = and(
      ...filters,
      q.status?.length ? inArray(openspecSpecs.status, q.status) : undefined,
      q.priority?.length ? inArray(openspecSpecs.priority, q.priority) : undefined,
      q.after
        ? sql`(${openspecSpecs.priorityRank}, ${openspecSpecs.name}, ${openspecSpecs.id}) > (${q.after.rank}, ${q.after.name}, ${q.after.id}::uuid)`
        : undefined,
    );
    const dir = (d: "asc" | "desc") => (d === "asc" ? asc : desc);
    const order =
      q.order ??
      (q.sort === "name" || q.sort === "priority" || q.sort === "status" ? "asc" : "desc");
    const primary = {
      priority: dir(order)(openspecSpecs.priorityRank),
      status: order === "asc" ? sql`${STATUS_ORDER} asc` : sql`${STATUS_ORDER} desc`,
      updated: dir(order)(openspecSpecs.updatedAt),
      created: dir(order)(openspecSpecs.createdAt),
      name: dir(order)(openspecSpecs.name),
      completion: dir(order)(openspecSpecs.completion),
    }[q.sort];
    if (q.after && (q.sort !== "priority" || order !== "asc"))
      throw new SpecsyncError("BAD_REQUEST", "after pages only the priority sort, ascending");
    const offset = q.after ? 0 : (q.cursor ?? 0);
    const rows = await this.selectList({
      /** How long the live claim shown still lasts: the cached answer must not outlive it. */
      claimTtlMs: sql<
        number | null
      >`(select (extract(epoch from (${changeClaims.expiresAt} - now())) * 1000)::float8 from ${changeClaims} where ${changeClaims.specId} = ${openspecSpecs.id} and ${changeClaims.expiresAt} > now())`,
    })
      .where(where)
      .orderBy(primary, asc(openspecSpecs.name), asc(openspecSpecs.id))
      .limit(q.limit + 1)
      .offset(offset);
    const hasMore = rows.length > q.limit;
    if (hasMore) rows.pop();
    const facets = q.withFacets ? await this.facets(and(...filters), q.status, q.priority) : null;
    let ttlMs = DAY_MS;
    const items = rows.map(({ claimTtlMs, ...item }) => {
      if (claimTtlMs !== null) ttlMs = Math.min(ttlMs, claimTtlMs);
      return item as SpecListItem;
    });
    const last = items.at(-1);
    const nextAfter =
      hasMore && last ? { rank: PRIORITY_RANK[last.priority], name: last.name, id: last.id } : null;
    const nextCursor = hasMore ? offset + q.limit : null;
    const page = { items, nextCursor, nextAfter, facets, searchPending };
    return { page, ttlMs };
  }

  /**
   * The search's condition. A row whose vector waits for its fill (after a save; after a bulk
   * import: sync/edits.ts, sync/search-fill.ts) is matched on a vector computed here while few
   * wait, so a search right after an acknowledged save finds what the row says. After a bulk
   * import thousands wait, and computing theirs would hold the database (PGlite's one thread)
   * for seconds: then they match by name and title only, and the answer says how many.
   */
  private async searchClause(text: string | undefined, filters: (SQL | undefined)[]) {
    if (!text) return { clause: undefined, searchPending: 0 };
    const query = sql`websearch_to_tsquery('english', ${text})`;
    const like = `%${text.replace(/[\\%_]/g, "\\$&")}%`;
    const s = openspecSpecs;
    const waitingRows = and(...filters, isNull(s.search));
    const [counted] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(s)
      .where(waitingRows);
    const waiting = counted?.n ?? 0;
    const few = waiting <= PENDING_SEARCHED;
    // Bounded even if an import adds rows after the count: the CASE computes vectors only while
    // at most PENDING_SEARCHED rows wait (an uncorrelated subquery: evaluated once per query).
    const someWaiting = sql`select 1 from ${s} where ${waitingRows} limit ${PENDING_SEARCHED + 1}`;
    const fewNow = sql`(select count(*) <= ${PENDING_SEARCHED} from (${someWaiting}) w)`;
    const vector = sql`openspec_specs_search_of(${s})`;
    const computed = sql`case when ${fewNow} then ${vector} @@ ${query} else false end`;
    const pending = few ? computed : sql`${s.title} ilike ${like}`;
    const byName = sql`${s.name} ilike ${like}`;
    const clause = sql`(${s.search} @@ ${query} or (${s.search} is null and ${pending}) or ${byName})`;
    return { clause, searchPending: few ? 0 : waiting };
  }

  /**
   * Counts per status, priority and kind for the current filters except status/priority themselves
   * (so a status menu can show what each choice would give); `total` honours every filter: it is
   * what matches.
   */
  private async facets(
    where: ReturnType<typeof and>,
    statuses?: readonly string[],
    priorities?: readonly string[],
  ) {
    const rows = await this.db
      .select({
        status: openspecSpecs.status,
        priority: openspecSpecs.priority,
        kind: openspecSpecs.kind,
        archived: openspecSpecs.archived,
        n: sql<number>`count(*)::int`,
      })
      .from(openspecSpecs)
      .where(where)
      .groupBy(
        openspecSpecs.status,
        openspecSpecs.priority,
        openspecSpecs.kind,
        openspecSpecs.archived,
      );
    const status: Record<string, number> = {};
    const priority: Record<string, number> = {};
    const kind: Record<string, number> = {};
    let total = 0;
    for (const r of rows) {
      status[r.status] = (status[r.status] ?? 0) + r.n;
      priority[r.priority] = (priority[r.priority] ?? 0) + r.n;
      kind[r.kind] = (kind[r.kind] ?? 0) + r.n;
      if (
        (!statuses?.length || statuses.includes(r.status)) &&
        (!priorities?.length || priorities.includes(r.priority))
      )
        total += r.n;
    }
    return { status, priority, kind, total };
  }

  /** Raw content plus parsed structure, ready for a change page. */
  async get(id: string) {
    return this.pageOf(await this.sync.getRowWithParsed(id));
  }

  /**
   * `get` without the row's `parsed` (so none is derived for an archived change): for readers
   * that use the files, tasks and columns only (the MCP tools get_change and toggle_task).
   */
  async getWithoutParsed(id: string) {
    return this.pageOf(await this.sync.getRow(id));
  }

  private async pageOf<R extends EditRow>(row: R) {
    const id = row.id;
    const files = filesOfRow(row);
    const structure = await this.structureOf(row.kind, files, row.contentHashes);
    const [recent] = await this.db
      .select({
        n: sql<number>`count(*)::int`,
        failures: sql<number>`count(*) filter (where not ${syncHistory.success})::int`,
        last: sql<Date | null>`max(${syncHistory.createdAt})`,
      })
      .from(syncHistory)
      .where(eq(syncHistory.specId, id));
    // Content is returned once, byte-exact, in `files` (the columns lack any leading BOM).
    const {
      proposalContent: _p,
      tasksContent: _t,
      designContent: _d,
      metaContent: _m,
      specContent: _c,
      deltaSpecs: _ds,
      bomFiles: _b,
      ...rest
    } = row;
    return {
      ...rest,
      files,
      tasks: structure.tasks.map(({ markOffset: _m, emptyBox: _e, ...t }) => t),
      /** A main spec's requirements and scenarios with their names, for display. */
      requirements: structure.requirements,
      /** Why tasks/requirements are empty when the files could not be parsed (null normally). */
      structureError: structure.structureError,
      history: {
        count: recent?.n ?? 0,
        failures: recent?.failures ?? 0,
        lastAt: recent?.last ?? null,
      },
    };
  }

  /**
   * Find a row by its readable address: a project (its slug, its name or its id) plus a change name
   * (an archived change by its archive folder name, `2025-01-01-add-x`) or a capability id.
   */
  async lookup(
    input: LookupInput,
  ): Promise<{ id: string; projectId: string; kind: SpecKind; name: string }> {
    const all = await this.db.select({ id: projects.id, name: projects.name }).from(projects);
    const project =
      all.find((p) => p.id === input.project) ??
      all.find((p) => projectSlug(p.name) === input.project) ??
      all.find((p) => p.name === input.project);
    if (!project) throw new SpecsyncError("NOT_FOUND", `no project "${input.project}"`);
    const path = input.kind === "spec" ? `specs/${input.name}` : null;
    const rows = await this.db
      .select({
        id: openspecSpecs.id,
        projectId: openspecSpecs.projectId,
        kind: openspecSpecs.kind,
        name: openspecSpecs.name,
        path: openspecSpecs.path,
        archived: openspecSpecs.archived,
      })
      .from(openspecSpecs)
      .where(
        and(
          isNull(openspecSpecs.deletedAt),
          eq(openspecSpecs.projectId, project.id),
          eq(openspecSpecs.kind, input.kind),
          path
            ? eq(openspecSpecs.path, path)
            : sql`(${openspecSpecs.path} = ${`changes/${input.name}`} or ${openspecSpecs.path} = ${`changes/archive/${input.name}`})`,
        ),
      )
      .limit(2);
    const row = rows.find((r) => !r.archived) ?? rows[0];
    if (!row)
      throw new SpecsyncError("NOT_FOUND", `no ${input.kind} "${input.name}" in ${project.name}`);
    return { id: row.id, projectId: row.projectId, kind: row.kind, name: row.name };
  }

  /** Save a person's edit, merged with what changed since its base (see FileEditService.save). */
  async update(input: UpdateFileInput, opts: SaveOptions = {}) {
    return this.edits.save(input, opts);
  }

  /** Tick or untick one task by its id: exactly one character of tasks.md changes. */
  async toggleTask(input: ToggleTaskInput) {
    return this.edits.toggleTask(input);
  }

  /**
   * A workflow status change, recorded in history with its actor. "archived" is not set here: it
   * follows an archive (LifecycleService.setStatus runs one when it is chosen).
   */
  async setStatus(input: SetStatusInput) {
    const updated = await this.storeStatus(input);
    return updated ? withParsedOnRead(updated) : this.sync.getRowWithParsed(input.id);
  }

  async setPriority(input: SetPriorityInput) {
    const updated = await this.storePriority(input);
    return updated ? withParsedOnRead(updated) : this.sync.getRowWithParsed(input.id);
  }

  /** The status change; the updated row (`parsed` as stored), null when it was already so. */
  private async storeStatus(input: SetStatusInput): Promise<SpecRow | null> {
    const row = await this.sync.getRow(input.id);
    const actor = input.actor ?? "anonymous";
    if (row.status === input.status) return null;
    if (input.status === "archived") {
      throw new SpecsyncError(
        "BAD_REQUEST",
        `"archived" is set by archiving the change (openspec archive), not picked by hand`,
      );
    }
    if (!STATUS_TRANSITIONS[row.status].includes(input.status)) {
      throw new SpecsyncError(
        "BAD_REQUEST",
        row.status === "archived"
          ? `${row.name} is archived on disk; its status stays archived`
          : `cannot move from ${row.status} to ${input.status}; allowed: ${STATUS_TRANSITIONS[row.status].join(", ")}`,
      );
    }
    const [updated] = await this.db
      .update(openspecSpecs)
      .set({
        status: input.status,
        statusChangedAt: new Date(),
        statusChangedBy: actor,
        updatedAt: new Date(),
      })
      .where(and(eq(openspecSpecs.id, row.id), eq(openspecSpecs.status, row.status)))
      .returning();
    if (!updated)
      throw new SpecsyncError(
        "CONFLICT",
        "the status was changed by someone else; reload and try again",
      );
    const h = await this.recordLifecycle(
      row,
      { field: "status", from: row.status, to: input.status },
      actor,
    );
    this.events.publish(
      { type: "spec_changed", projectId: row.projectId, specId: row.id, name: row.name },
      h.id,
    );
    return updated;
  }

  /** The priority change; the updated row (`parsed` as stored), null when it was already so. */
  private async storePriority(input: SetPriorityInput): Promise<SpecRow | null> {
    const row = await this.sync.getRow(input.id);
    if (row.priority === input.priority) return null;
    const [updated] = await this.db
      .update(openspecSpecs)
      .set({
        priority: input.priority,
        priorityRank: PRIORITY_RANK[input.priority],
        updatedAt: new Date(),
      })
      .where(eq(openspecSpecs.id, row.id))
      .returning();
    const h = await this.recordLifecycle(
      row,
      { field: "priority", from: row.priority, to: input.priority },
      input.actor ?? "anonymous",
    );
    this.events.publish(
      { type: "spec_changed", projectId: row.projectId, specId: row.id, name: row.name },
      h.id,
    );
    return present(updated, "the updated change");
  }

  /**
   * Status and/or priority for many changes (the board's multi-select); each one recorded in
   * history.
   */
  async bulkUpdate(input: BulkUpdateInput) {
    const q = bulkUpdateInputSchema.parse(input);
    const results: { id: string; ok: boolean; error?: string }[] = [];
    for (const id of new Set(q.ids)) {
      try {
        // The rows are not handed out: no `parsed` is derived for them.
        if (q.status) await this.storeStatus({ id, status: q.status, actor: q.actor });
        if (q.priority) await this.storePriority({ id, priority: q.priority, actor: q.actor });
        results.push({ id, ok: true });
      } catch (err) {
        results.push({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return { updated: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok) };
  }

  /**
   * Status and priority live only in the database: their history row is the only trace of an edit.
   * One row per edit: the structured value (`lifecycle`) and the same in words (`note`).
   */
  private async recordLifecycle(
    row: Pick<SpecRow, "id" | "projectId" | "name">,
    lifecycle: { field: "status" | "priority"; from: string; to: string },
    actor: string,
  ) {
    const note = `${lifecycle.field} ${lifecycle.from} → ${lifecycle.to}`;
    const [h] = await this.db
      .insert(syncHistory)
      .values({
        specId: row.id,
        projectId: row.projectId,
        name: row.name,
        direction: "db_to_fs",
        trigger: "lifecycle",
        action: `${lifecycle.field}_changed`,
        success: true,
        filesChanged: [],
        lifecycle,
        note,
        actor,
      })
      .returning({ id: syncHistory.id });
    return present(h, "the inserted history row");
  }

  /**
   * The live dashboard (`openspec view`, from the database): specs, tasks, changes per stage
   * and status, validation, the queue.
   */
  async summary(projectId?: string) {
    const scope = and(
      isNull(openspecSpecs.deletedAt),
      projectId ? eq(openspecSpecs.projectId, projectId) : undefined,
    );
    const [specs] = await this.db
      .select({
        specs: sql<number>`count(*)::int`,
        requirements: sql<number>`coalesce(sum(${openspecSpecs.requirementCount}), 0)::int`,
        scenarios: sql<number>`coalesce(sum(${openspecSpecs.scenarioCount}), 0)::int`,
      })
      .from(openspecSpecs)
      .where(and(scope, eq(openspecSpecs.kind, "spec")));
    const groups = await this.db
      .select({
        stage: openspecSpecs.stage,
        status: openspecSpecs.status,
        n: sql<number>`count(*)::int`,
        done: sql<number>`sum(${openspecSpecs.tasksCompleted})::int`,
        total: sql<number>`sum(${openspecSpecs.tasksTotal})::int`,
      })
      .from(openspecSpecs)
      .where(and(scope, eq(openspecSpecs.kind, "change")))
      .groupBy(openspecSpecs.stage, openspecSpecs.status);
    const byStage: Record<string, number> = { draft: 0, in_progress: 0, complete: 0, archived: 0 };
    const byStatus: Record<string, number> = {};
    const tasks = { completed: 0, total: 0 };
    for (const g of groups) {
      byStage[g.stage ?? "draft"] = (byStage[g.stage ?? "draft"] ?? 0) + g.n;
      if (g.stage === "archived") continue;
      byStatus[g.status] = (byStatus[g.status] ?? 0) + g.n;
      tasks.completed += g.done ?? 0;
      tasks.total += g.total ?? 0;
    }
    const active = and(scope, eq(openspecSpecs.kind, "change"), eq(openspecSpecs.archived, false));
    const invalid = await this.selectList()
      .where(and(active, sql`(${openspecSpecs.validation} ->> 'errors')::int > 0`))
      .orderBy(asc(openspecSpecs.name))
      .limit(50);
    const rows = await this.selectList().where(active).orderBy(asc(openspecSpecs.name)).limit(1000);
    const mismatched = (rows as SpecListItem[])
      .map((r) => ({ ...r, mismatch: statusMismatch(r.status, r) }))
      .filter((r) => r.mismatch);
    const queue = await this.selectList()
      .where(
        and(
          active,
          inArray(openspecSpecs.status, ["approved", "assigned"]),
          sql`(${openspecSpecs.tasksTotal} = 0 or ${openspecSpecs.tasksCompleted} < ${openspecSpecs.tasksTotal})`,
        ),
      )
      .orderBy(
        asc(openspecSpecs.priorityRank),
        asc(openspecSpecs.createdAt),
        asc(openspecSpecs.name),
      )
      .limit(5);
    return {
      specs: specs ?? { specs: 0, requirements: 0, scenarios: 0 },
      tasks,
      byStage,
      byStatus,
      validationErrors: invalid as SpecListItem[],
      mismatched,
      queue: queue as SpecListItem[],
    };
  }

  /**
   * The work queue: highest priority approved/assigned change that is not complete, oldest
   * first on ties.
   */
  async next(projectId?: string): Promise<SpecListItem | null> {
    const [row] = await this.selectList()
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
      .orderBy(
        asc(openspecSpecs.priorityRank),
        asc(openspecSpecs.createdAt),
        asc(openspecSpecs.name),
      )
      .limit(1);
    return (row as SpecListItem | undefined) ?? null;
  }

  /** Changes whose delta specs touch a capability (active first). */
  async touching(projectId: string, capability: string) {
    return this.selectList()
      .where(
        and(
          isNull(openspecSpecs.deletedAt),
          eq(openspecSpecs.projectId, projectId),
          eq(openspecSpecs.kind, "change"),
          sql`${openspecSpecs.deltaSpecs} ? ${capability}`,
        ),
      )
      .orderBy(asc(openspecSpecs.archived), desc(openspecSpecs.updatedAt))
      .limit(200);
  }

  /** Rows with an open conflict or a database edit still waiting to be written to disk. */
  async conflicts(projectId?: string) {
    return this.selectList({ dbModifiedAt: openspecSpecs.dbModifiedAt })
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
}
