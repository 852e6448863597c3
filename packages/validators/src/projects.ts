import { z } from "zod";
import { rowIdSchema } from "./ids";

export const addProjectInputSchema = z.object({
  path: z.string().min(1).max(4096),
  name: z.string().trim().min(1).max(200).optional(),
});
export type AddProjectInput = z.infer<typeof addProjectInputSchema>;

export const removeProjectInputSchema = z.object({
  id: rowIdSchema,
  deleteRows: z.boolean().default(false),
});
export type RemoveProjectInput = z.input<typeof removeProjectInputSchema>;

/** A project's name as a URL segment (`/p/<slug>/…`): lowercase, anything but letters, digits, `.`, `_` and `-` becomes `-`. */
export function projectSlug(name: string): string {
  const slug = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "");
  return slug || "project";
}
