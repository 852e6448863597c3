import { z } from "zod";
import { LONE_SURROGATE, SURROGATE_MESSAGE } from "./text";

export const MAX_CONTENT_BYTES = 1024 * 1024;

/**
 * Editable file content: UTF-8 text without NUL bytes (the 1 MiB limit is enforced by the
 * service, as PAYLOAD_TOO_LARGE).
 */
export const fileContentSchema = z
  .string()
  .refine((s) => !s.includes("\0"), "content must be text: it contains a NUL byte")
  .refine((s) => !LONE_SURROGATE.test(s), `content ${SURROGATE_MESSAGE}`);

/** sha256 hex digest. */
export const hashSchema = z.string().regex(/^[0-9a-f]{64}$/, "hash must be a sha256 hex digest");
