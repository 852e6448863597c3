import { bigint, pgTable, uuid } from "drizzle-orm/pg-core";

/**
 * Per project: a value every committed write of a row's sync state (the columns a no-op reconcile
 * reads: path, fingerprint, tracked files, deletion, failures) moves by a random step, once per
 * writing transaction, at its commit (migration 0019). A process that read the state at value g
 * and reads g again knows no such write was committed since, whoever made it. No foreign key: the
 * commit-time trigger of a project's deletion would otherwise insert a row for it.
 */
export const syncStateGeneration = pgTable("sync_state_generation", {
  projectId: uuid("project_id").primaryKey(),
  gen: bigint("gen", { mode: "number" }).notNull(),
});
