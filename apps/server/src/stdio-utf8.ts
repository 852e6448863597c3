import { isUtf8 } from "node:buffer";
import { Transform } from "node:stream";

/**
 * The MCP stdio transport decodes each line with Buffer.toString, which turns invalid UTF-8 bytes
 * into U+FFFD: the server would store text that differs from what was sent. This passes on only
 * the newline-delimited messages that are valid UTF-8 and hands every other line to `refuse`.
 */
export function strictUtf8Lines(refuse: (line: Buffer) => void): Transform {
  let pending: Buffer[] = [];
  const emit = (t: Transform, line: Buffer) => (isUtf8(line) ? t.push(line) : refuse(line));
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        const line = Buffer.concat([...pending, chunk.subarray(start, nl + 1)]);
        pending = [];
        emit(this, line);
        start = nl + 1;
      }
      if (start < chunk.length) pending.push(chunk.subarray(start));
      done();
    },
    flush(done) {
      if (pending.length) emit(this, Buffer.concat(pending));
      pending = [];
      done();
    },
  });
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
  return `${JSON.stringify({
    jsonrpc: "2.0",
    id,
    error: {
      code: -32700,
      message:
        "the message is not valid UTF-8: refused rather than stored with U+FFFD in place of the invalid bytes",
    },
  })}\n`;
}
