import {
  closeSync,
  createReadStream,
  ftruncateSync,
  mkdirSync,
  openSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { createGunzip } from "node:zlib";

const BLOCK = 512;
/** PostgreSQL's page: the unit of the zero runs left as holes. */
const PAGE = 8192;
const ZERO = Buffer.alloc(PAGE);

type Entry = { fd: number; size: number; pos: number; pad: number } | null;

/**
 * A streaming ustar reader writing into `root`. All-zero pages are skipped and each file is
 * truncated to its size at the end, so they read back as zeros from holes: most of a WAL segment
 * (16 MB) is zeros, and writing them cost time and page cache for nothing.
 */
class Extractor {
  private rest = Buffer.alloc(0);
  private entry: Entry = null;
  private skip = 0;
  private done = false;
  /** PG_VERSION, written last by `finish`. */
  private last: { file: string; body: Buffer[] } | null = null;

  constructor(private readonly root: string) {}

  push(chunk: Buffer): void {
    let data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = Buffer.alloc(0);
    while (!this.done && data.length) {
      if (this.skip) {
        const n = Math.min(this.skip, data.length);
        this.skip -= n;
        data = data.subarray(n);
      } else if (this.entry) data = this.body(this.entry, data);
      else if (data.length < BLOCK) {
        this.rest = Buffer.from(data);
        return;
      } else {
        this.header(data.subarray(0, BLOCK));
        data = data.subarray(BLOCK);
      }
    }
  }

  finish(tarGz: string): void {
    if (!this.done) throw new Error(`${tarGz} ends early: a truncated tarball`);
    if (!this.last) throw new Error(`${tarGz} holds no PG_VERSION: not a data directory`);
    writeFileSync(this.last.file, Buffer.concat(this.last.body), { mode: 0o600 });
  }

  close(): void {
    if (this.entry && this.entry.fd >= 0) closeSync(this.entry.fd);
    this.entry = null;
  }

  private header(header: Buffer): void {
    if (header.equals(ZERO.subarray(0, BLOCK))) {
      this.done = true;
      return;
    }
    const field = (from: number, to: number) =>
      header.toString("utf8", from, to).replace(/\0[\s\S]*$/, "");
    const name = [field(345, 500), field(0, 100)].filter(Boolean).join("/");
    const size = Number.parseInt(field(124, 136).trim() || "0", 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const pad = Math.ceil(size / BLOCK) * BLOCK - size;
    const target = path.resolve(this.root, `.${path.sep}${name}`);
    if (target !== this.root && !target.startsWith(this.root + path.sep)) {
      throw new Error(`template entry outside the data directory: ${name}`);
    }
    if (type === "5") mkdirSync(target, { recursive: true, mode: 0o700 });
    if (type !== "0" && type !== "\0") {
      this.skip = size + pad;
      return;
    }
    if (path.relative(this.root, target) === "PG_VERSION") {
      this.last = { file: target, body: [] };
      this.entry = { fd: -1, size, pos: 0, pad };
    } else {
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      this.entry = { fd: openSync(target, "w", 0o600), size, pos: 0, pad };
    }
    if (size === 0) this.endEntry(this.entry);
  }

  /** Writes what `data` holds of the entry's body; returns the rest. */
  private body(entry: NonNullable<Entry>, data: Buffer): Buffer {
    const n = Math.min(entry.size - entry.pos, data.length);
    const part = data.subarray(0, n);
    if (entry.fd < 0) this.last?.body.push(Buffer.from(part));
    else writeSparse(entry.fd, part, entry.pos);
    entry.pos += n;
    if (entry.pos === entry.size) this.endEntry(entry);
    return data.subarray(n);
  }

  private endEntry(entry: NonNullable<Entry>): void {
    if (entry.fd >= 0) {
      ftruncateSync(entry.fd, entry.size);
      closeSync(entry.fd);
    }
    this.entry = null;
    this.skip = entry.pad;
  }
}

/** Writes `data` at file position `pos`, leaving out the all-zero pages (runs written at once). */
function writeSparse(fd: number, data: Buffer, pos: number): void {
  let run = 0; // start of the pending non-zero run
  let at = 0;
  while (at < data.length) {
    const end = Math.min(data.length, at + PAGE - ((pos + at) % PAGE));
    if (data.subarray(at, end).equals(ZERO.subarray(0, end - at))) {
      if (at > run) writeSync(fd, data, run, at - run, pos + run);
      run = end;
    }
    at = end;
  }
  if (data.length > run) writeSync(fd, data, run, data.length - run, pos + run);
}

/**
 * Unpack the data-directory template (a tarball from PGlite's `dumpDataDir`, made at build time
 * by scripts/make-template.mjs) into an empty data directory, streamed through Node's gunzip
 * with plain writes: PGlite's `loadDataDir` does the same through its JavaScript file system and
 * took ~2 s and ~140 MiB more, and a whole-tarball buffer kept ~50 MiB of RSS. PG_VERSION is
 * written last: a directory without it is unpacked again (or initialised) next time.
 */
export async function unpackTemplate(tarGz: string, dataDir: string): Promise<void> {
  const extractor = new Extractor(path.resolve(dataDir));
  const input = createReadStream(tarGz);
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  input.on("error", (err) => gunzip.destroy(err));
  try {
    for await (const chunk of input.pipe(gunzip)) extractor.push(chunk as Buffer);
  } finally {
    input.destroy();
    extractor.close();
  }
  extractor.finish(tarGz);
}
