import type {
  ChangeStage,
  LifecycleStatus,
  OpenConflict,
  ParsedDocument,
  Priority,
  SpecKind,
  ValidationResult,
} from "@specsync/validators";
import { sql } from "drizzle-orm";
import {
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { projects } from "./projects";

const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

/** Per-file stat fingerprint, used only to skip hashing unchanged files. */
export type FileStat = { size: number; mtimeMs: number; ino: number };

/**
 * One row per change (active or archived) and per main capability spec.
 * Content columns hold the database's version of each file; `baseHashes` holds the
 * hashes both sides agreed on at the last successful sync (the three-way merge base).
 */
export const openspecSpecs = pgTable(
  "openspec_specs",
  {
    id: uuid("id").primaryKey().default(sql`gen_random_uuid()`),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    kind: text("kind").$type<SpecKind>().notNull(),
    /** Change id (`add-foo`) or capability id (`cli/init`). */
    name: text("name").notNull(),
    /**
     * Folder relative to `openspec/`: `changes/add-foo`,
     * `changes/archive/2025-01-01-add-foo`, `specs/cli/init`.
     */
    path: text("path").notNull(),
    archived: boolean("archived").notNull().default(false),
    archivedOn: text("archived_on"),

    title: text("title").notNull().default(""),
    why: text("why"),
    whatChanges: text("what_changes"),
    impact: text("impact"),

    proposalContent: text("proposal_content"),
    tasksContent: text("tasks_content"),
    designContent: text("design_content"),
    metaContent: text("meta_content"),
    specContent: text("spec_content"),
    /**
     * Files whose content starts with a UTF-8 BOM. The BOM is stored here rather than in the text,
     * because PGlite's decoder drops a leading BOM from every text value it returns.
     */
    bomFiles: jsonb("bom_files").$type<string[]>().notNull().default([]),
    /** Delta specs of a change, keyed by capability id. */
    deltaSpecs: jsonb("delta_specs").$type<Record<string, string>>().notNull().default({}),
    /** Parsed `.openspec.yaml` (schema, created, goal, …). */
    meta: jsonb("meta").$type<Record<string, unknown>>().notNull().default({}),
    /** Parsed structure, in the shapes the OpenSpec CLI prints. */
    parsed: jsonb("parsed").$type<ParsedDocument>(),
    parseError: text("parse_error"),

    tasksTotal: integer("tasks_total").notNull().default(0),
    tasksCompleted: integer("tasks_completed").notNull().default(0),
    /** 0–100; 0 when there are no tasks. */
    completion: real("completion").notNull().default(0),
    requirementCount: integer("requirement_count").notNull().default(0),
    scenarioCount: integer("scenario_count").notNull().default(0),
    deltaCount: integer("delta_count").notNull().default(0),

    /** sha256 of each file as the database holds it, keyed by path relative to the folder. */
    contentHashes: jsonb("content_hashes").$type<Record<string, string>>().notNull().default({}),
    /** sha256 of each file at the last successful sync: the merge base. */
    baseHashes: jsonb("base_hashes").$type<Record<string, string>>().notNull().default({}),
    fileStats: jsonb("file_stats").$type<Record<string, FileStat>>().notNull().default({}),
    /**
     * The names of `file_stats` (the tracked files a fingerprint stats), kept by PostgreSQL: a
     * no-op reconcile reads them for every row, and taking them out of `file_stats` at read time
     * (detoast, `jsonb_object_keys`) was most of that read's cost on PGlite.
     */
    trackedFiles: jsonb("tracked_files")
      .$type<string[]>()
      .generatedAlwaysAs(sql`jsonb_path_query_array(file_stats, '$.keyvalue().key')`),
    /**
     * "Nothing moved" digest from stats only (the folder, the directories on the way to tracked
     * files, the files): equal digests let a bulk reconcile skip the folder. Null: read the folder
     * in full next time.
     */
    statFingerprint: text("stat_fingerprint"),
    /** Latest mtime of the folder's files (what `openspec list` calls lastModified). */
    fileModifiedAt: timestamp("file_modified_at", { withTimezone: true, mode: "date" }),
    /** When the database version was last edited (through the API). */
    dbModifiedAt: timestamp("db_modified_at", { withTimezone: true, mode: "date" }),
    /** Files edited in the database whose flush to disk has not succeeded yet. */
    pendingFiles: jsonb("pending_files").$type<string[]>().notNull().default([]),
    conflict: jsonb("conflict").$type<OpenConflict>(),

    status: text("status").$type<LifecycleStatus>().notNull().default("proposing"),
    priority: text("priority").$type<Priority>().notNull().default("none"),
    /** 0 (critical) … 4 (none): sortable form of `priority`. */
    priorityRank: integer("priority_rank").notNull().default(4),
    statusChangedAt: timestamp("status_changed_at", { withTimezone: true, mode: "date" }),
    statusChangedBy: text("status_changed_by"),
    /**
     * Where the change is, derived from its files only (a generated column: never written by
     * anyone): archived, draft (no tasks), complete (every task done) or in progress. Meaningless
     * for main specs.
     */
    stage: text("stage")
      .$type<ChangeStage>()
      .generatedAlwaysAs(
        sql`case when archived then 'archived' when tasks_total = 0 then 'draft' when tasks_completed >= tasks_total then 'complete' else 'in_progress' end`,
      ),
    /**
     * The delta specs' file hashes in one short string: md5 of `specs/<cap>/spec.md:<hash>|…`,
     * files in code-point order (null when there are none), what the overlaps cache is keyed on.
     * Stored (function `openspec_delta_stamp`, migration 0012) so the work queue reads 32 bytes
     * instead of unpacking `content_hashes` for every busy change on every call.
     */
    deltaStamp: text("delta_stamp").generatedAlwaysAs(sql`openspec_delta_stamp(content_hashes)`),
    /** The last `openspec validate --strict` of the change (null: never validated). */
    validation: jsonb("validation").$type<ValidationResult>(),

    syncError: text("sync_error"),
    lastSyncedAt: timestamp("last_synced_at", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }),

    /**
     * Full-text search vector, maintained by a trigger on the content columns only (migration
     * 0001): a generated column would be recomputed on every UPDATE, bookkeeping ones included, and
     * computing it in the app would send every document over the wire twice. NULL while it waits
     * to be filled: a person's save fills it right after answering (migration 0014; it was most of
     * the save's compare-and-set), a large import on PostgreSQL in the background (migration
     * 0015). Search computes a missing one meanwhile.
     */
    search: tsvector("search"),
  },
  // last_synced_at is left out of every index so that bookkeeping updates can stay HOT (see
  // migration 0001).
  (t) => [
    uniqueIndex("openspec_specs_project_path_uq").on(t.projectId, t.path),
    index("openspec_specs_project_kind_name_idx").on(t.projectId, t.kind, t.name),
    // One index per list ordering (primary key, then name, id), so a page of 50 is an index range
    // scan.
    index("openspec_specs_list_priority_idx").on(t.kind, t.archived, t.priorityRank, t.name, t.id),
    index("openspec_specs_list_updated_idx").on(t.kind, t.archived, t.updatedAt, t.name, t.id),
    index("openspec_specs_status_idx").on(t.status, t.priorityRank, t.createdAt),
    index("openspec_specs_completion_idx").on(t.completion),
    index("openspec_specs_search_idx").using("gin", t.search),
    // Rows waiting for their vector (a save's, a bulk import's; migrations 0014, 0015): empty once
    // the fills are done.
    index("openspec_specs_search_pending_idx").on(t.id).where(sql`search is null`),
    // The agents' work queue (next_work) walks this in order and stops at the first free change.
    // The open-tasks test is in the predicate so the walk never visits finished changes; project_id
    // last keeps the order usable with and without a project filter (checked in the index).
    index("openspec_specs_work_queue_idx")
      .on(t.priorityRank, t.createdAt, t.name, t.projectId)
      .where(
        sql`kind = 'change' and not archived and deleted_at is null and status in ('approved', 'assigned') and (tasks_total = 0 or tasks_completed < tasks_total)`,
      ),
    // next_work's busy set reads the active in-progress changes on every call: a partial index
    // keeps that to their ~200 rows instead of intersecting two indexes that match thousands.
    index("openspec_specs_in_progress_idx")
      .on(t.projectId)
      .where(
        sql`status = 'in_progress' and kind = 'change' and not archived and deleted_at is null`,
      ),
    // Overlaps: active changes with a delta spec for a capability (content_hashes keys
    // `specs/<cap>/spec.md`). No pending list (fastupdate off): every lookup scanned all of it,
    // ~500 pages after a bulk import until a vacuum: 9 ms against 0.04 ms without (migration 0016).
    index("openspec_specs_active_hashes_idx")
      .using("gin", t.contentHashes)
      .with({ fastupdate: false })
      .where(sql`kind = 'change' and not archived and deleted_at is null`),
  ],
);

/** A row as the app reads it: everything but the search vector, which only SQL uses. */
export type SpecRow = Omit<typeof openspecSpecs.$inferSelect, "search">;
export type NewSpecRow = typeof openspecSpecs.$inferInsert;
