import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const DB = path.resolve(fileURLToPath(import.meta.url), "../../../db");
const SCRIPT = path.join(DB, "scripts/make-template.mjs");
const MIGRATIONS = path.join(DB, "drizzle");
/** db's client.ts `PGLITE_TEMPLATE` from the sources (gitignored): what a source checkout loads. */
const DIR = path.join(DB, "pgdata");
const FILE = path.join(DIR, "template.tar.gz");
/** What FILE was made from (`templateKey`). */
const KEY_FILE = path.join(DIR, "template.key");

/** Every file under `dir`, sorted, with its path relative to `dir`. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** What the template is made from: the migrations, the script and the PGlite build. */
function templateKey(): string {
  const hash = createHash("sha256");
  for (const f of filesUnder(MIGRATIONS))
    hash.update(f).update(readFileSync(path.join(MIGRATIONS, f)));
  hash.update(readFileSync(SCRIPT));
  // pnpm's store path names the version.
  hash.update(createRequire(path.join(DB, "package.json")).resolve("@electric-sql/pglite"));
  return hash.digest("hex").slice(0, 16);
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");

let made: Promise<string> | undefined;

/**
 * The migrated, empty PGlite data directory as a tarball (what the packaged build ships as
 * `pgdata/template.tar.gz`), made for the current migrations where db's client.ts looks for it in
 * a source checkout, `packages/db/pgdata/` (gitignored), and remade when a migration changes. A
 * test database, an in-process server or a CLI child on PGlite then starts from it in about a
 * second instead of running initdb and every migration inside WebAssembly (~5 s of CPU each).
 * Made by the build's own script, so a migration that fails fails here. Returns its path.
 */
export function pgliteTemplate(): Promise<string> {
  made ??= (async () => {
    const key = templateKey();
    if (existsSync(FILE) && read(KEY_FILE) === key) return FILE;
    mkdirSync(DIR, { recursive: true });
    // Another test process may be making it too: each writes its own files, renames are atomic.
    const tmp = `${FILE}.${process.pid}.tmp`;
    try {
      await promisify(execFile)(process.execPath, [SCRIPT, tmp], { cwd: DB });
      renameSync(tmp, FILE);
      await writeFile(`${KEY_FILE}.${process.pid}`, key);
      renameSync(`${KEY_FILE}.${process.pid}`, KEY_FILE);
    } finally {
      rmSync(tmp, { force: true });
    }
    return FILE;
  })();
  return made;
}
