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

/** Scripts whose words need ZWNJ/ZWJ (Persian, Indic conjuncts…): there a joiner is spelling. */
const JOINING_SCRIPTS = [
  "Arabic",
  "Syriac",
  "Nko",
  "Mongolian",
  "Devanagari",
  "Bengali",
  "Gurmukhi",
  "Gujarati",
  "Oriya",
  "Tamil",
  "Telugu",
  "Kannada",
  "Malayalam",
  "Sinhala",
]
  .map((s) => `\\p{Script=${s}}`)
  .join("");
const EMOJI = "\\p{Extended_Pictographic}[\\u{FE0F}\\u{1F3FB}-\\u{1F3FF}]?";
/** The format characters that belong to a visible name: emoji ZWJ sequences, tag flags, joiners. */
const WANTED_FORMAT = new RegExp(
  [
    `(?<=${EMOJI})\\u200D(?=\\p{Extended_Pictographic})`,
    `(?<=[${JOINING_SCRIPTS}]\\p{M}*)[\\u200C\\u200D](?=[${JOINING_SCRIPTS}])`,
    "(?<=\\u{1F3F4}[\\u{E0020}-\\u{E007E}]*)[\\u{E0020}-\\u{E007F}]",
  ].join("|"),
  "gu",
);
/**
 * Controls and line breaks, format characters (bidi overrides and isolates, zero-width spaces and
 * joiners, soft hyphen…) and the Hangul fillers, which render as nothing.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0]/u;
/** A wanted format character (kept), or one to show. */
const SHOWN = new RegExp(`(${WANTED_FORMAT.source})|${INVISIBLE.source}`, "gu");

/** The first character of `s` that would fake how a name reads, as `U+XXXX`, else null. */
export function invisibleCharacter(s: string): string | null {
  const found = INVISIBLE.exec(s.replace(WANTED_FORMAT, ""))?.[0];
  return found === undefined
    ? null
    : `U+${(found.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * `s` with every character `nameText` refuses shown as U+FFFD: for names that arrive outside an
 * input schema (the `x-specsync-actor` header, an MCP client's name) and are recorded as actors.
 */
export const visibleName = (s: string): string =>
  s.replace(SHOWN, (found, wanted: string | undefined) =>
    wanted === undefined ? "\uFFFD" : found,
  );

/**
 * A name someone goes by (a claim's owner, a history entry's actor): storable, and shown as it
 * reads — no control character or line break, no invisible or text-direction character, which
 * could fake another name in the web UI, the CLI's output and the claim history. Any script,
 * emoji (ZWJ sequences too), accents and spaces stay allowed.
 */
export const nameText = <S extends z.ZodString>(schema: S): S =>
  storableText(schema).superRefine((s, ctx) => {
    // A NUL has its own message (storableText's) already: one reason is enough.
    const found = s.includes("\0") ? null : invisibleCharacter(s);
    if (found)
      ctx.addIssue({
        code: "custom",
        message:
          "must be a plain name: no control characters, line breaks, invisible or " +
          `text-direction (bidi) characters (found ${found})`,
      });
  }) as S;
