import type { ConflictDetails, SyncAction, SyncDirection, SyncTrigger } from "@specsync/validators";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { openspecSpecs } from "./openspec-specs";
import { projects } from "./projects";

/** Audit trail: one row per sync that did something, in either direction, failures included. */
export const syncHistory = pgTable(
  "sync_history",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    specId: uuid("spec_id").references(() => openspecSpecs.id, { onDelete: "set null" }),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    /** Change or capability id, kept even when the row is gone. */
    name: text("name"),
    direction: text("direction").$type<SyncDirection>().notNull(),
    trigger: text("trigger").$type<SyncTrigger>().notNull(),
    action: text("action").$type<SyncAction>().notNull(),
    success: boolean("success").notNull(),
    error: text("error"),
    filesChanged: jsonb("files_changed").$type<string[]>().notNull().default([]),
    durationMs: integer("duration_ms").notNull().default(0),
    conflict: jsonb("conflict").$type<ConflictDetails>(),
    /**
     * Content that this sync overwrote or discarded, keyed by file (null: the file did not
     * exist).
     */
    previousContent: jsonb("previous_content").$type<Record<string, string | null>>(),
    actor: text("actor"),
    /**
     * What an action that is not a file sync did, in words ("status proposing → approved",
     * "2 errors").
     */
    note: text("note"),
    /** A lifecycle edit (status or priority): the field, its old and its new value. */
    lifecycle: jsonb("lifecycle").$type<{
      field: "status" | "priority";
      from: string;
      to: string;
    }>(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (t) => [
    index("sync_history_spec_idx").on(t.specId, t.id),
    index("sync_history_project_idx").on(t.projectId, t.id),
    index("sync_history_created_idx").on(t.createdAt),
  ],
);

export type SyncHistoryRow = typeof syncHistory.$inferSelect;
