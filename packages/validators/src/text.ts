import type { z } from "zod";

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
export const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NUL_MESSAGE = "must be text: it contains a NUL byte (U+0000)";
export const SURROGATE_MESSAGE =
  "must be text: it holds a lone UTF-16 surrogate (a \\uD800–\\uDFFF escape without its pair)";

/**
 * Refuse what cannot be stored as sent: PostgreSQL text and child-process arguments refuse NUL
 * (an INTERNAL error deep in the call otherwise), and a lone UTF-16 surrogate (JSON.parse keeps
 * one from a `\uD800` escape) would be written as U+FFFD, silently altering the input. Every
 * string input that is stored, searched or passed on goes through this one refinement.
 */
export const storableText = <S extends z.ZodString>(schema: S): S =>
  schema
    .refine((s) => !s.includes("\0"), NUL_MESSAGE)
    .refine((s) => !LONE_SURROGATE.test(s), SURROGATE_MESSAGE) as S;
