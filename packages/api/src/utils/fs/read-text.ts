import { closeSync, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { MAX_CONTENT_BYTES } from "@specsync/validators";
import { SpecsyncError } from "../errors";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export type TextFile = { content: string; bytes: Buffer; stat: Stats };

/**
 * Read a file as strict UTF-8 text (BOM kept, so hashes match the bytes). Refuses binary
 * (NUL bytes), invalid UTF-8 and files over the size limit with a clear message.
 */
export function readTextFileSync(absPath: string, maxBytes = MAX_CONTENT_BYTES): TextFile {
  const fd = openSync(absPath, "r");
  try {
    return readTextFd(fd, absPath, maxBytes);
  } finally {
    closeSync(fd);
  }
}

/** The same, from an open descriptor (the caller closes it). */
export function readTextFd(fd: number, absPath: string, maxBytes = MAX_CONTENT_BYTES): TextFile {
  const stat = fstatSync(fd);
  if (!stat.isFile()) throw new SpecsyncError("BAD_REQUEST", `${absPath} is not a regular file`);
  if (stat.size > maxBytes)
    throw new SpecsyncError(
      "PAYLOAD_TOO_LARGE",
      `${absPath} is ${stat.size} bytes; the limit is ${maxBytes}`,
    );
  const bytes = Buffer.allocUnsafe(stat.size);
  let read = 0;
  while (read < stat.size) {
    const n = readSync(fd, bytes, read, stat.size - read, read);
    if (n === 0) break;
    read += n;
  }
  const exact = read === stat.size ? bytes : bytes.subarray(0, read);
  return { content: decodeText(exact, absPath), bytes: exact, stat };
}

export function decodeText(bytes: Uint8Array, label: string): string {
  if (bytes.includes(0))
    throw new SpecsyncError("BAD_REQUEST", `${label} is binary (contains NUL bytes)`);
  try {
    return decoder.decode(bytes);
  } catch {
    throw new SpecsyncError("BAD_REQUEST", `${label} is not valid UTF-8`);
  }
}
