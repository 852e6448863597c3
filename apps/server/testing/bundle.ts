import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pgliteTemplate } from "@specsync/api/testing";
import { build } from "esbuild";

const SERVER = path.resolve(fileURLToPath(import.meta.url), "../..");
const REPO = path.resolve(SERVER, "../..");
/** Inside the checkout, so that what stays external (the openspec CLI) resolves as from sources. */
const CACHE = path.join(SERVER, "node_modules/.cache/specsync-test");
const fromDb = createRequire(path.join(REPO, "packages/db/package.json"));

/**
 * Bundles TypeScript entry points (the CLI, a test's child script) to plain JavaScript once, as
 * `scripts/build.mjs` bundles the packaged CLI, so that a test spawning many children runs
 * `node <dir>/lib/<name>.js`: each child then loads in a fraction of the CPU `node --import tsx`
 * spends compiling the sources on every start. Built from the current sources on each call (about
 * a second), never a stale `dist/`. Returns `<dir>/lib`; `<dir>/drizzle` is the migrations,
 * `<dir>/pgdata` the migrated PGlite template.
 */
export async function bundleForTest(entries: Record<string, string>): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const dir = mkdtempSync(path.join(CACHE, "b-"));
  // lib/'s `../drizzle`, as in the package (packages/db migrate.ts).
  symlinkSync(path.join(REPO, "packages/db/drizzle"), path.join(dir, "drizzle"));
  // lib/'s `../pgdata/template.tar.gz`, as in the package: a new PGlite database starts from it,
  // not from initdb and every migration inside WebAssembly (~5 s of CPU a start).
  symlinkSync(path.dirname(await pgliteTemplate()), path.join(dir, "pgdata"));
  await build({
    entryPoints: {
      ...entries,
      // The worker thread that parses big files (parse-pool.ts loads it next to itself).
      "parse-worker": path.join(REPO, "packages/api/src/services/parse-worker.ts"),
    },
    outdir: path.join(dir, "lib"),
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    plugins: [
      {
        // PGlite loads its WebAssembly from its own folder: import it from there, by path.
        name: "pglite-external",
        setup(b) {
          b.onResolve({ filter: /^@electric-sql\/pglite/ }, (args) => ({
            path: fromDb.resolve(args.path),
            external: true,
          }));
        },
      },
    ],
    banner: {
      js:
        "import { createRequire as __testRequire } from 'node:module';" +
        " const require = __testRequire(import.meta.url);",
    },
  });
  return path.join(dir, "lib");
}

/**
 * Node flags for a one-shot command of the bundled CLI, as the packaged bin sets them
 * (scripts/build.mjs): WebAssembly compiled by the baseline compiler only, since optimising
 * PGlite's build costs a short command more CPU than it wins back.
 */
export const ONE_SHOT_FLAGS = ["--liftoff-only"];

/** The CLI (`src/cli.ts`) bundled: `node <file> <args>` runs it as `node --import tsx` ran it. */
export async function bundleCli(): Promise<string> {
  return path.join(await bundleForTest({ cli: path.join(SERVER, "src/cli.ts") }), "cli.js");
}

/** Removes what `bundleForTest` or `bundleCli` made (given either's answer; "" when it failed). */
export function removeBundle(file: string): void {
  const dir = path.relative(CACHE, file).split(path.sep)[0];
  if (file && dir?.startsWith("b-"))
    rmSync(path.join(CACHE, dir), { recursive: true, force: true });
}
