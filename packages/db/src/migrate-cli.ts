import { createDb } from "./client";
import { runMigrations } from "./migrate";

// `pnpm db:migrate`: apply migrations to DATABASE_URL (or the embedded PGlite in SPECSYNC_DATA_DIR).
const database = await createDb({
  url: process.env.DATABASE_URL,
  dataDir: process.env.SPECSYNC_DATA_DIR ?? ".specsync/pglite",
});
await runMigrations(database);
await database.close();
console.log(`migrations applied (${database.driver})`);
