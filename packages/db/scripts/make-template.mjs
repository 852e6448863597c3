// Writes a pre-initialised, fully migrated PGlite data directory as a gzip tarball:
//   node packages/db/scripts/make-template.mjs <out.tar.gz>
// A first start on an empty data directory loads it (packages/db/src/client.ts) instead of running
// initdb and every migration inside WebAssembly, which took seconds and most of a GiB of memory.
// apps/server's build writes it into the package (dist/pgdata/template.tar.gz).
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";

const out = process.argv[2];
if (!out) throw new Error("usage: make-template.mjs <out.tar.gz>");
// wal_recycle=off: the checkpoint below deletes the WAL segment the migrations filled instead of
// keeping it (renamed) for reuse, so the tarball's one segment is the fresh, all-zero one.
const client = await PGlite.create("memory://", {
  startParams: [...PGlite.defaultStartParams, "-c", "wal_recycle=off"],
});
// specsync uses the database `postgres` alone. template0 and template1 (only ever copied by CREATE
// DATABASE, which specsync never runs) were 600 of the tarball's 1,050 files and 15 of its 40 MB,
// each file one more create for every first start.
await client.exec(
  "update pg_database set datistemplate = false where datname in ('template0', 'template1')",
);
await client.exec("drop database template0");
await client.exec("drop database template1");
const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));
await migrate(drizzle(client), { migrationsFolder });
// A checkpoint first, so the tarball needs no WAL replay; after a switch to a new WAL segment, so
// the redo point starts the new segment and the old one is deleted (its ~8 MB of migration
// records cost every first start a gunzip and a write).
await client.query("select pg_switch_wal()");
await client.query("checkpoint");
const tarball = await client.dumpDataDir("gzip");
await client.close();
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, Buffer.from(await tarball.arrayBuffer()));
