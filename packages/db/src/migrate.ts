import { fileURLToPath } from "node:url";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { Database } from "./client";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../drizzle", import.meta.url));

/** Apply the committed drizzle-kit migrations; safe to call from several servers at once. */
export async function runMigrations(database: Database): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  if (database.driver === "pglite") {
    const { migrate: migratePglite } = await import("drizzle-orm/pglite/migrator");
    await migratePglite(database.db as never, config);
  } else {
    // Serialise concurrent starts: the loser waits, then finds nothing left to apply.
    await database.query("select pg_advisory_lock(hashtext('specsync:migrate'))");
    try {
      await migratePostgres(database.db as never, config);
    } finally {
      await database.query("select pg_advisory_unlock(hashtext('specsync:migrate'))");
    }
  }
  await bumpListGeneration(database);
}

/**
 * A migration may rewrite rows by DDL (a type change USING …), which fires no row trigger: move
 * the list generation (as migration 0009's triggers do) so that servers already running drop
 * the list answers they cached before it.
 */
async function bumpListGeneration(database: Database): Promise<void> {
  await database.query(
    `update list_generation
       set gen = mod(gen + 1 + floor(random() * 4294967296)::bigint, 9007199254740992)
     where id = 1`,
  );
}
