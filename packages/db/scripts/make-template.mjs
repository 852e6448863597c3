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
const client = await PGlite.create("memory://");
const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));
await migrate(drizzle(client), { migrationsFolder });
// A checkpoint first, so the tarball needs no WAL replay.
await client.query("checkpoint");
const tarball = await client.dumpDataDir("gzip");
await client.close();
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, Buffer.from(await tarball.arrayBuffer()));
