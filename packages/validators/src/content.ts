import { z } from "zod";

export const MAX_CONTENT_BYTES = 1024 * 1024;

/**
 * Editable file content: UTF-8 text without NUL bytes (the 1 MiB limit is enforced by the
 * service, as PAYLOAD_TOO_LARGE).
 */
export const fileContentSchema = z
  .string()
  .refine((s) => !s.includes("\0"), "content must be text: it contains a NUL byte");

/** sha256 hex digest. */
export const hashSchema = z.string().regex(/^[0-9a-f]{64}$/, "hash must be a sha256 hex digest");
