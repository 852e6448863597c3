import type { IncomingMessage } from "node:http";

/** Why a body was refused, with the HTTP status to answer. */
export class BodyRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly tooDeep = false,
  ) {
    super(message);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Read a request body up to `maxBytes` (413 beyond it, without reading the rest) and decode it as
 * strict UTF-8 (400 on invalid bytes: never silently turned into U+FFFD and written to disk).
 */
export async function readBodyText(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes)
    throw new BodyRefused(413, `request body is ${declared} bytes; the limit is ${maxBytes}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BodyRefused(413, `request body exceeds ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  try {
    return utf8.decode(Buffer.concat(chunks, size));
  } catch {
    throw new BodyRefused(400, "request body is not valid UTF-8");
  }
}

const hex = (c: number) => (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);

/**
 * One linear pass over JSON text before anything parses it: nesting deeper than `maxDepth` (a
 * 3,000,000-deep array blocked the event loop 11 s inside JSON.parse and the validators) and `\u`
 * escapes that leave a lone UTF-16 surrogate (JSON.parse would accept them; they cannot be written
 * to a UTF-8 file) are refused. Everything else is left to JSON.parse.
 */
export function checkJsonText(text: string, maxDepth: number): void {
  let depth = 0;
  let inString = false;
  let highPending = false; // the previous string unit was a `\uD800`–`\uDBFF` escape
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!inString) {
      if (c === 34) inString = true;
      else if (c === 91 || c === 123) {
        if (++depth > maxDepth)
          throw new BodyRefused(400, `request body is nested deeper than ${maxDepth} levels`, true);
      } else if (c === 93 || c === 125) depth--;
      continue;
    }
    let unit = -1; // a \u escape's code unit, else -1
    if (c === 92) {
      const next = text.charCodeAt(i + 1);
      if (
        next === 117 &&
        hex(text.charCodeAt(i + 2)) &&
        hex(text.charCodeAt(i + 3)) &&
        hex(text.charCodeAt(i + 4)) &&
        hex(text.charCodeAt(i + 5))
      ) {
        unit = Number.parseInt(text.slice(i + 2, i + 6), 16);
        i += 5;
      } else i++;
    } else if (c === 34) inString = false;
    const isLow = unit >= 0xdc00 && unit <= 0xdfff;
    if (highPending !== isLow)
      throw new BodyRefused(
        400,
        "request body holds a lone UTF-16 surrogate (\\uD800–\\uDFFF escape without its pair)",
      );
    highPending = unit >= 0xd800 && unit <= 0xdbff;
  }
}
