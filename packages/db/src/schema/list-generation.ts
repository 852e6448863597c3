import { bigint, pgTable, smallint } from "drizzle-orm/pg-core";

/**
 * One row: a value every committed write to what a list shows (`openspec_specs`, `sync_checks`,
 * `change_claims`) moves by a random step (migrations 0007, 0009), in the writing transaction. A
 * cached list page is served only while the counter still reads what it read before the page's
 * query, so a write is never hidden once committed, whichever server made it.
 */
export const listGeneration = pgTable("list_generation", {
  id: smallint("id").primaryKey(),
  gen: bigint("gen", { mode: "number" }).notNull(),
});
