import { createDb, type Database, runMigrations } from "@specsync/db";
import { embeddedDataDir } from "@specsync/settings";
import { lockDataDir } from "./data-dir-lock";
import type { Env } from "./env";

/**
 * Where the database is: PostgreSQL at DATABASE_URL, or the embedded PGlite's folder (settings'
 * one default).
 */
export function databaseLocation(
  env: Pick<Env, "DATABASE_URL" | "SPECSYNC_DATA_DIR" | "INIT_CWD">,
  projectPaths: readonly string[],
): { url?: string; dataDir?: string } {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL };
  const first = projectPaths[0];
  if (!first && !env.SPECSYNC_DATA_DIR)
    throw new Error(
      "no project to keep the embedded database in; set SPECSYNC_DATA_DIR or DATABASE_URL",
    );
  return {
    dataDir: embeddedDataDir(env.SPECSYNC_DATA_DIR, first ?? "", env.INIT_CWD ?? process.cwd()),
  };
}

/** Open the configured database (PostgreSQL or embedded PGlite) and bring its schema up to date. */
export async function openDatabase(
  env: Pick<Env, "DATABASE_URL" | "SPECSYNC_DATA_DIR" | "INIT_CWD">,
  projectPaths: readonly string[],
): Promise<Database> {
  const location = databaseLocation(env, projectPaths);
  // The embedded database admits one process: refuse clearly rather than corrupt it.
  const release = location.dataDir ? lockDataDir(location.dataDir, projectPaths) : () => {};
  try {
    const database = await createDb(location);
    await runMigrations(database);
    const close = database.close.bind(database);
    database.close = async () => {
      try {
        await close();
      } finally {
        release();
      }
    };
    return database;
  } catch (err) {
    release();
    throw err;
  }
}
