import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** Builds the app once before the suites that run it (see the file). */
const BUILD = fileURLToPath(new URL("./apps/server/test/setup/build.ts", import.meta.url));
/**
 * Makes the migrated PGlite template once (packages/db/pgdata/, gitignored) before the files start:
 * every PGlite database the tests open then loads it instead of running initdb and the migrations.
 */
const TEMPLATE = fileURLToPath(
  new URL("./packages/api/testing/pglite-template-setup.ts", import.meta.url),
);
const INSTALL_TESTS = ["test/pnpm-start.test.ts", "test/packaged-install.test.ts"];
const include = ["test/**/*.test.ts"];
/** Database suites run against PGlite and PostgreSQL inside each file. */
const db = { testTimeout: 60_000, hookTimeout: 60_000, globalSetup: [TEMPLATE] };
/**
 * The suites that build and run the whole app. `fileParallelism: false` does not make them run one
 * at a time beside the other projects: the forks pool is shared and sized by the root `maxWorkers`
 * (vitest 3.2's source; a run showed two web files at once — docs/performance.md, session 25).
 */
const app = {
  globalSetup: [TEMPLATE, BUILD],
  testTimeout: 180_000,
  hookTimeout: 300_000,
  fileParallelism: false,
};

// One project per package that has tests (`--project <name>`); `pnpm test` runs them all.
export default defineConfig({
  test: {
    // vitest's default is cores − 1 workers: one on a 2-core machine, so the run was the sum of its files.
    // Most files wait on child processes, servers and browsers; two workers overlap that waiting.
    maxWorkers: 2,
    projects: [
      { test: { name: "settings", root: "./packages/settings", include } },
      { test: { name: "db", root: "./packages/db", include, ...db } },
      { test: { name: "api", root: "./packages/api", include, ...db } },
      {
        test: {
          name: "server",
          root: "./apps/server",
          include,
          exclude: INSTALL_TESTS,
          globalSetup: [TEMPLATE],
          testTimeout: 90_000,
          hookTimeout: 90_000,
        },
      },
      // The real commands (`pnpm start`, the packed and installed bin).
      { test: { name: "install", root: "./apps/server", include: INSTALL_TESTS, ...app } },
      { test: { name: "web", root: "./apps/web", include, ...app } },
      {
        test: {
          name: "bench",
          root: "./bench",
          include,
          // The server-RSS row runs the built bin, as `pnpm start` does.
          globalSetup: [TEMPLATE, BUILD],
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
