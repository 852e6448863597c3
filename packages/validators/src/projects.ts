import { z } from "zod";
import { MAX_SEGMENT_BYTES, rowIdSchema, segmentsFit } from "./ids";
import { LONE_SURROGATE, SURROGATE_MESSAGE, storableText } from "./text";

export const addProjectInputSchema = z.object({
  path: z
    .string()
    .min(1)
    .max(4096)
    .refine((p) => !p.includes("\0"), "path contains a NUL byte")
    .refine((p) => !LONE_SURROGATE.test(p), `path ${SURROGATE_MESSAGE}`)
    .refine(segmentsFit, `every path segment must be at most ${MAX_SEGMENT_BYTES} bytes`),
  name: storableText(z.string().trim().min(1).max(200)).optional(),
});
export type AddProjectInput = z.infer<typeof addProjectInputSchema>;

export const removeProjectInputSchema = z.object({
  id: rowIdSchema,
  deleteRows: z.boolean().default(false),
});
export type RemoveProjectInput = z.input<typeof removeProjectInputSchema>;

/**
 * A project's name as a URL segment (`/p/<slug>/…`): lowercase, anything but letters, digits,
 * `.`, `_` and `-` becomes `-`.
 */
export function projectSlug(name: string): string {
  const slug = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "");
  return slug || "project";
}
