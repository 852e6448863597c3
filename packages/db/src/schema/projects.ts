import { sql } from "drizzle-orm";
import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** A repository whose `openspec/` folder specsync keeps in sync. */
export const projects = pgTable("projects", {
  id: uuid("id").primaryKey().default(sql`gen_random_uuid()`),
  name: text("name").notNull(),
  /** Absolute path of the repository root (the folder that holds `openspec/`). */
  rootPath: text("root_path").notNull().unique(),
  lastFullSyncAt: timestamp("last_full_sync_at", { withTimezone: true, mode: "date" }),
  /**
   * Every live row was verified (unchanged or synced) by the full sync that ended then, with no
   * failure: one stamp instead of a `sync_checks` upsert per row. Freshness is the latest of this,
   * the row's `last_synced_at` and its `sync_checks` time.
   */
  checkedAt: timestamp("checked_at", { withTimezone: true, mode: "date" }),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
});

export type ProjectRow = typeof projects.$inferSelect;
