import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const DB = path.resolve(fileURLToPath(import.meta.url), "../../../db");
const SCRIPT = path.join(DB, "scripts/make-template.mjs");
const MIGRATIONS = path.join(DB, "drizzle");
const CACHE = path.join(DB, "node_modules/.cache/specsync-test");

/** Every file under `dir`, sorted, with its path relative to `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** What the template is made from: the migrations, the script and the PGlite version. */
function templateKey(): string {
  const hash = createHash("sha256");
  for (const f of filesUnder(MIGRATIONS))
    hash.update(f).update(readFileSync(path.join(MIGRATIONS, f)));
  hash.update(readFileSync(SCRIPT));
  const pglite = createRequire(path.join(DB, "package.json")).resolve("@electric-sql/pglite");
  hash.update(pglite);
  return hash.digest("hex").slice(0, 16);
}

let made: Promise<string> | undefined;

/**
 * A migrated, empty PGlite data directory as a tarball (what the packaged build ships), made once
 * for the current migrations and kept in packages/db's cache: a test database starts from it in
 * about a second instead of running initdb and every migration inside WebAssembly (~5 s of CPU,
 * for each of the suite's PGlite databases). Made by the build's own script, so a migration that
 * fails fails here. Returns its path; `<dir>/template.tar.gz`, dir being the `pgdata` a bundled
 * CLI finds beside its `lib/`.
 */
export function pgliteTemplate(): Promise<string> {
  made ??= (async () => {
    const dir = path.join(CACHE, `pglite-${templateKey()}`, "pgdata");
    const file = path.join(dir, "template.tar.gz");
    if (existsSync(file)) return file;
    mkdirSync(dir, { recursive: true });
    // Another test process may be making it too: each writes its own file, the rename is atomic.
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await promisify(execFile)(process.execPath, [SCRIPT, tmp], { cwd: DB });
      renameSync(tmp, file);
    } finally {
      rmSync(tmp, { force: true });
    }
    return file;
  })();
  return made;
}
