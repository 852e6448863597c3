import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, expect, it } from "vitest";
import { createDb, runMigrations } from "../src";
import { unpackTemplate } from "../src/pglite-template";

const scratch = mkdtempSync(path.join(tmpdir(), "pglite-template-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const script = fileURLToPath(new URL("../scripts/make-template.mjs", import.meta.url));

it("the build's data-directory template opens as a migrated database, and later migrations still apply", async () => {
  const tarball = path.join(scratch, "template.tar.gz");
  execFileSync(process.execPath, [script, tarball]);
  const dataDir = path.join(scratch, "data");
  await unpackTemplate(tarball, dataDir);
  expect(existsSync(path.join(dataDir, "PG_VERSION"))).toBe(true);
  const database = await createDb({ dataDir });
  try {
    await runMigrations(database); // nothing left to apply: must not fail on the existing tables
    const [p] = await database.query<{ id: string }>(
      "insert into projects (name, root_path) values ('p', '/p') returning id",
    );
    expect(p?.id).toMatch(/^[0-9a-f-]{36}$/);
    const tables = await database.query<{ n: number }>(
      "select count(*)::int as n from openspec_specs",
    );
    expect(tables[0]?.n).toBe(0);
  } finally {
    await database.close();
  }
});

it("refuses a tarball entry that would land outside the data directory", async () => {
  // A minimal ustar archive with one file named ../escape.
  const header = Buffer.alloc(512);
  header.write("../escape", 0);
  header.write("0000644\0", 100);
  header.write("00000000001\0", 124);
  header.write("0", 156);
  const tar = Buffer.concat([header, Buffer.alloc(512), Buffer.alloc(1024)]);
  const gz = path.join(scratch, "evil.tar.gz");
  writeFileSync(gz, gzipSync(tar));
  await expect(unpackTemplate(gz, path.join(scratch, "evil"))).rejects.toThrow(
    /outside the data directory/,
  );
  expect(existsSync(path.join(scratch, "escape"))).toBe(false);
});

it("writes files with zero pages (left as holes) back byte for byte", async () => {
  // One file: a non-zero page, two zero pages, a non-zero tail, then 3 zero pages at the end.
  const body = Buffer.alloc(8192 * 6 + 100);
  body.fill(7, 0, 8192);
  body.fill(9, 8192 * 3, 8192 * 3 + 100);
  const entry = (name: string, data: Buffer) => {
    const header = Buffer.alloc(512);
    header.write(name, 0);
    header.write("0000600\0", 100);
    header.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
    header.write("0", 156);
    const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
    return [header, data, pad];
  };
  const tar = Buffer.concat([
    ...entry("base/5/1234", body),
    ...entry("PG_VERSION", Buffer.from("17\n")),
    Buffer.alloc(1024),
  ]);
  const gz = path.join(scratch, "sparse.tar.gz");
  writeFileSync(gz, gzipSync(tar));
  const dir = path.join(scratch, "sparse");
  await unpackTemplate(gz, dir);
  expect(readFileSync(path.join(dir, "base/5/1234")).equals(body)).toBe(true);
  expect(readFileSync(path.join(dir, "PG_VERSION"), "utf8")).toBe("17\n");
});
