import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";

/**
 * Unpack the data-directory template (a tarball from PGlite's `dumpDataDir`, made at build time
 * by scripts/make-template.mjs) into an empty data directory, with Node's own gunzip and plain
 * writes: PGlite's `loadDataDir` does the same through its JavaScript file system and took ~2 s
 * and ~140 MiB more. PG_VERSION is written last: a directory without it is unpacked again (or
 * initialised) next time.
 */
export function unpackTemplate(tarGz: string, dataDir: string): void {
  const tar = gunzipSync(readFileSync(tarGz));
  const root = path.resolve(dataDir);
  let last: { file: string; body: Buffer } | null = null;
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, to: number) =>
      header.toString("utf8", from, to).replace(/\0[\s\S]*$/, "");
    const name = [field(345, 500), field(0, 100)].filter(Boolean).join("/");
    const size = Number.parseInt(field(124, 136).trim() || "0", 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const body = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    const target = path.resolve(root, `.${path.sep}${name}`);
    if (target !== root && !target.startsWith(root + path.sep)) {
      throw new Error(`template entry outside the data directory: ${name}`);
    }
    if (type === "5") mkdirSync(target, { recursive: true, mode: 0o700 });
    else if (type === "0" || type === "\0") {
      if (path.relative(root, target) === "PG_VERSION") last = { file: target, body };
      else {
        mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
        writeFileSync(target, body, { mode: 0o600 });
      }
    }
  }
  if (!last) throw new Error(`${tarGz} holds no PG_VERSION: not a data directory`);
  writeFileSync(last.file, last.body, { mode: 0o600 });
}
