import { createDb, runMigrations, type Database } from "@specsync/db";
import type { Env } from "./env";

/** Open the configured database (PostgreSQL or embedded PGlite) and bring its schema up to date. */
export async function openDatabase(env: Pick<Env, "DATABASE_URL" | "SPECSYNC_DATA_DIR">): Promise<Database> {
  const database = await createDb({ url: env.DATABASE_URL, dataDir: env.SPECSYNC_DATA_DIR ?? "memory://" });
  await runMigrations(database);
  return database;
}
