import { fileURLToPath } from "node:url";
import { defineWorkspace } from "vitest/config";

// One project per package; database suites run against PGlite and PostgreSQL inside each file.
/** Builds the app once before the suites that run it (see the file). */
const BUILD = fileURLToPath(new URL("./apps/server/test/setup/build.ts", import.meta.url));
const INSTALL_TESTS = ["test/pnpm-start.test.ts", "test/packaged-install.test.ts"];

export default defineWorkspace([
  { test: { name: "validators", root: "./packages/validators", include: ["test/**/*.test.ts"] } },
  { test: { name: "settings", root: "./packages/settings", include: ["test/**/*.test.ts"] } },
  { test: { name: "db", root: "./packages/db", include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 } },
  { test: { name: "api", root: "./packages/api", include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 } },
  { test: { name: "server", root: "./apps/server", include: ["test/**/*.test.ts"], exclude: INSTALL_TESTS, testTimeout: 90_000, hookTimeout: 90_000 } },
  // The real commands (`pnpm start`, the packed and installed bin) build and run the whole app: one
  // at a time.
  { test: { name: "install", root: "./apps/server", include: INSTALL_TESTS, globalSetup: [BUILD], testTimeout: 180_000, hookTimeout: 300_000, fileParallelism: false } },
  { test: { name: "web", root: "./apps/web", include: ["test/**/*.test.ts"], globalSetup: [BUILD], testTimeout: 180_000, hookTimeout: 300_000, fileParallelism: false } },
  { test: { name: "bench", root: "./bench", include: ["test/**/*.test.ts"], testTimeout: 180_000, hookTimeout: 120_000 } },
]);
