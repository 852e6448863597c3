import { isUtf8 } from "node:buffer";
import { Transform } from "node:stream";

/**
 * The MCP stdio transport decodes each line with Buffer.toString, which turns invalid UTF-8 bytes
 * into U+FFFD: the server would store text that differs from what was sent. This passes on only
 * the newline-delimited messages that are valid UTF-8 and hands every other line to `refuse`.
 */
/** The SDK's stdio read buffer (STDIO_DEFAULT_MAX_BUFFER_SIZE): a longer line closes it. */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;

/**
 * A line longer than `maxLineBytes` is dropped as it streams (never buffered whole) and reported
 * to `oversize` with its length: passed on, it would make the SDK close the transport silently.
 * A line nested deeper than MAX_JSON_DEPTH is not passed on: `tooDeep` gets its -32602 answer.
 */
export function strictUtf8Lines(
  refuse: (line: Buffer) => void,
  oversize: (bytes: number) => void = () => {},
  maxLineBytes = MAX_LINE_BYTES,
  tooDeep: (answer: string) => void = () => {},
): Transform {
  let pending: Buffer[] = [];
  let size = 0;
  let dropped = 0; // bytes of an oversized line dropped so far (0: none being dropped)
  const emit = (t: Transform, line: Buffer) => {
    if (!isUtf8(line)) return refuse(line);
    const deep = tooDeepAnswer(line);
    if (deep) tooDeep(deep);
    else t.push(line);
  };
  const add = (part: Buffer) => {
    if (dropped) dropped += part.length;
    else if (size + part.length > maxLineBytes) {
      dropped = size + part.length;
      pending = [];
      size = 0;
    } else {
      pending.push(part);
      size += part.length;
    }
  };
  const endLine = (t: Transform) => {
    if (dropped) oversize(dropped);
    else if (size) emit(t, Buffer.concat(pending));
    pending = [];
    size = 0;
    dropped = 0;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        add(chunk.subarray(start, nl + 1));
        endLine(this);
        start = nl + 1;
      }
      if (start < chunk.length) add(chunk.subarray(start));
      done();
    },
    flush(done) {
      endLine(this);
      done();
    },
  });
}

/** One JSON-RPC error answer, as a stdio line. */
function rpcError(id: string | number | null, code: number, message: string): string {
  return `${JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } })}\n`;
}

/** The JSON-RPC answer to a line over the size limit (its id cannot be read: null). */
export function oversizeAnswer(bytes: number, max = MAX_LINE_BYTES): string {
  return rpcError(
    null,
    -32600,
    `a message of ${bytes} bytes is over the ${max}-byte limit of one stdio line: refused`,
  );
}

/**
 * The JSON-RPC answer to a message refused for invalid UTF-8: an error with its id when the id can
 * still be read (so the client's call fails at once instead of hanging), null for a notification.
 */
export function invalidUtf8Answer(line: Buffer): string | null {
  let id: string | number | null = null;
  try {
    const msg = JSON.parse(line.toString("utf8")) as { id?: unknown } | null;
    if (msg && typeof msg === "object" && !("id" in msg)) return null; // a notification
    if (typeof msg?.id === "string" || typeof msg?.id === "number") id = msg.id;
  } catch {
    // not JSON even when decoded leniently: answer with id null, as for any parse error
  }
  return rpcError(
    id,
    -32700,
    "the message is not valid UTF-8: refused rather than stored with U+FFFD in place of the invalid bytes",
  );
}

/** How deep a stdio message may nest: the same cap as an HTTP body (request-guard's maxJsonDepth). */
export const MAX_JSON_DEPTH = 64;

/**
 * One linear pass over a message line: when it nests deeper than `maxDepth`, the JSON-RPC answer
 * (-32602, with the call's id read from the top level), else null. Passed on, a 200,000-deep
 * `arguments` array came back as -32603 with a raw dump of the validator's issues, and a deeper one
 * blocks the event loop for seconds inside JSON.parse.
 */
export function tooDeepAnswer(line: Buffer, maxDepth = MAX_JSON_DEPTH): string | null {
  let depth = 0;
  let inString = false;
  let tooDeep = false;
  const top: number[] = []; // the bytes at depth 1 (the top-level object without nested values)
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? 32;
    if (depth === 1 && top.length < 4096) top.push(c);
    if (inString) {
      if (c === 92) {
        i++;
        if (depth === 1 && top.length < 4096) top.push(line[i] ?? 32);
      } else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > maxDepth) tooDeep = true;
    } else if (c === 93 || c === 125) depth--;
  }
  if (!tooDeep) return null;
  const m = /"id"\s*:\s*(-?\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*")/.exec(
    Buffer.from(top).toString("utf8"),
  );
  let id: string | number | null = null;
  try {
    const parsed: unknown = m?.[1] ? JSON.parse(m[1]) : null;
    if (typeof parsed === "string" || typeof parsed === "number") id = parsed;
  } catch {
    // an id that is not valid JSON: answer with id null
  }
  return rpcError(id, -32602, `the message is nested deeper than ${maxDepth} levels: refused`);
}
