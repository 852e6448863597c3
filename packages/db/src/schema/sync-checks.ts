import { pgTable, timestamp, uuid } from "drizzle-orm/pg-core";
import { openspecSpecs } from "./openspec-specs";

/**
 * When a row was last verified unchanged. Kept apart from `openspec_specs` on purpose: the periodic
 * reconcile bumps thousands of these, and rewriting the wide content rows for that was the slowest
 * part of a no-op reconcile (non-HOT updates, several KB of WAL per row).
 */
export const syncChecks = pgTable("sync_checks", {
  specId: uuid("spec_id")
    .primaryKey()
    .references(() => openspecSpecs.id, { onDelete: "cascade" }),
  checkedAt: timestamp("checked_at", { withTimezone: true, mode: "date" }).notNull(),
});
