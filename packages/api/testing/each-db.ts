import { afterAll, beforeAll, describe } from "vitest";
import { createTestDb, DRIVERS, postgresReachable, type TestDb } from "./databases";

const pgOk = await postgresReachable();
if (!pgOk) {
  if (process.env.CI)
    throw new Error(
      "PostgreSQL is not reachable, and CI must test against it (SPECSYNC_TEST_PG_URL)",
    );
  console.warn(
    "\n⚠ PostgreSQL not reachable: PostgreSQL variants of the database tests are SKIPPED (PGlite still runs)\n",
  );
}

/** Run the same suite against PGlite and real PostgreSQL, each with its own fresh database. */
export function describeEachDb(
  name: string,
  body: (db: () => TestDb, driver: "pglite" | "postgres") => void,
) {
  for (const driver of DRIVERS) {
    describe.skipIf(driver === "postgres" && !pgOk)(`${name} [${driver}]`, () => {
      let testDb: TestDb | undefined;
      beforeAll(async () => {
        testDb = await createTestDb(driver);
      }, 60_000);
      afterAll(async () => {
        await testDb?.drop();
      }, 30_000);
      body(() => {
        if (!testDb) throw new Error("database not ready");
        return testDb;
      }, driver);
    });
  }
}
