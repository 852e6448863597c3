import { createDb, runMigrations, type Database } from "@specsync/db";
import { embeddedDataDir } from "@specsync/settings";
import type { Env } from "./env";

/** Where the database is: PostgreSQL at DATABASE_URL, or the embedded PGlite's folder (settings' one default). */
export function databaseLocation(env: Pick<Env, "DATABASE_URL" | "SPECSYNC_DATA_DIR" | "INIT_CWD">, projectPaths: readonly string[]): { url?: string; dataDir?: string } {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL };
  const first = projectPaths[0];
  if (!first && !env.SPECSYNC_DATA_DIR) throw new Error("no project to keep the embedded database in; set SPECSYNC_DATA_DIR or DATABASE_URL");
  return { dataDir: embeddedDataDir(env.SPECSYNC_DATA_DIR, first ?? "", env.INIT_CWD ?? process.cwd()) };
}

/** Open the configured database (PostgreSQL or embedded PGlite) and bring its schema up to date. */
export async function openDatabase(env: Pick<Env, "DATABASE_URL" | "SPECSYNC_DATA_DIR" | "INIT_CWD">, projectPaths: readonly string[]): Promise<Database> {
  const database = await createDb(databaseLocation(env, projectPaths));
  await runMigrations(database);
  return database;
}
