import { z } from "zod";
import { LONE_SURROGATE, SURROGATE_MESSAGE } from "./text";

/**
 * Most filesystems refuse a name over 255 bytes (ENAMETOOLONG): refuse it here, with a clear
 * message.
 */
export const MAX_SEGMENT_BYTES = 255;
const utf8 = new TextEncoder();
export const segmentsFit = (p: string) =>
  p
    .split(/[\\/]/)
    .every(
      (seg) => seg.length <= MAX_SEGMENT_BYTES / 3 || utf8.encode(seg).length <= MAX_SEGMENT_BYTES,
    );
const SEGMENT_MESSAGE = `every path segment must be at most ${MAX_SEGMENT_BYTES} bytes`;

/** OpenSpec change ids are kebab-case (the CLI's own rule). */
export const CHANGE_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const changeNameSchema = z
  .string()
  .max(200)
  .regex(
    CHANGE_ID_PATTERN,
    "change ids are kebab-case: lowercase letters, digits and single dashes",
  );

/** Capability ids may nest (`cli/init`); every segment is kebab-case-ish and never `..`. */
export const CAPABILITY_ID_PATTERN = /^[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)*$/i;
export const capabilityIdSchema = z
  .string()
  .max(300)
  .regex(CAPABILITY_ID_PATTERN, "capability ids are slash-separated names")
  .refine(
    (s) => !s.split("/").some((seg) => seg === "." || seg === ".."),
    "capability ids cannot contain '.' or '..'",
  )
  .refine(segmentsFit, SEGMENT_MESSAGE);

/** Row ids are UUIDs. */
export const rowIdSchema = z.uuid();

/** A file inside a change or spec folder, relative to that folder. */
export const relFilePathSchema = z
  .string()
  .min(1)
  .max(500)
  .refine(
    (p) => !p.startsWith("/") && !p.includes("\\") && !p.includes("\0"),
    "path must be relative, with forward slashes",
  )
  .refine((p) => !LONE_SURROGATE.test(p), `path ${SURROGATE_MESSAGE}`)
  .refine(
    (p) => !p.split("/").some((seg) => seg === "" || seg === "." || seg === ".."),
    "path cannot contain empty, '.' or '..' segments",
  )
  .refine(
    (p) => p.endsWith(".md") || p === ".openspec.yaml",
    "only Markdown files and .openspec.yaml can be edited",
  )
  .refine(segmentsFit, SEGMENT_MESSAGE);
