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
