import { z } from "zod";

export const MAX_CONTENT_BYTES = 1024 * 1024;

/** Editable file content: UTF-8 text, no NUL byte, at most 1 MiB. */
export const fileContentSchema = z
  .string()
  .refine((s) => !s.includes("\0"), "content must be text: it contains a NUL byte")
  .refine((s) => Buffer.byteLength(s, "utf8") <= MAX_CONTENT_BYTES, `content is larger than ${MAX_CONTENT_BYTES} bytes`);

/** sha256 hex digest. */
export const hashSchema = z.string().regex(/^[0-9a-f]{64}$/, "hash must be a sha256 hex digest");
