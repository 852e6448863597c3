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
    return;
  }
  // Serialise concurrent starts: the loser waits, then finds nothing left to apply.
  await database.query("select pg_advisory_lock(hashtext('specsync:migrate'))");
  try {
    await migratePostgres(database.db as never, config);
  } finally {
    await database.query("select pg_advisory_unlock(hashtext('specsync:migrate'))");
  }
}
