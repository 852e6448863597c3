import { randomBytes } from "node:crypto";
import { createDb, type Database, runMigrations } from "@specsync/db";
import postgres from "postgres";
import { pgliteTemplate } from "./pglite-template";

/** Admin connection used to create a throwaway database per test file. */
export const ADMIN_URL =
  process.env.SPECSYNC_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

let reachable: Promise<boolean> | undefined;
export function postgresReachable(): Promise<boolean> {
  reachable ??= (async () => {
    const sql = postgres(ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
    try {
      await sql`select 1`;
      return true;
    } catch {
      return false;
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  })();
  return reachable;
}

export type TestDb = { database: Database; url: string | null; drop(): Promise<void> };

/**
 * A fresh, migrated database: in-memory PGlite (started from the migrated template, the migrations
 * then checked as the app checks them), or a new PostgreSQL database dropped afterwards.
 */
export async function createTestDb(driver: "pglite" | "postgres"): Promise<TestDb> {
  if (driver === "pglite") {
    const database = await createDb({ dataDir: "memory://", template: await pgliteTemplate() });
    await runMigrations(database);
    return { database, url: null, drop: () => database.close() };
  }
  const name = `specsync_t_${randomBytes(5).toString("hex")}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const database = await createDb({ url });
  await runMigrations(database);
  return {
    database,
    url,
    async drop() {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export const DRIVERS = ["pglite", "postgres"] as const;
