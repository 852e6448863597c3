import { z } from "zod";

/** Shapes printed by the OpenSpec CLI's `--json` output; specsync prints the same. */
export const scenarioJsonSchema = z.object({ rawText: z.string() });
export const requirementJsonSchema = z.object({
  text: z.string(),
  scenarios: z.array(scenarioJsonSchema),
});
export type RequirementJson = z.infer<typeof requirementJsonSchema>;

export const deltaOperationSchema = z.enum(["ADDED", "MODIFIED", "REMOVED", "RENAMED"]);
export const deltaJsonSchema = z.object({
  spec: z.string(),
  operation: deltaOperationSchema,
  description: z.string(),
  requirement: requirementJsonSchema.optional(),
  requirements: z.array(requirementJsonSchema).optional(),
  rename: z.object({ from: z.string(), to: z.string() }).optional(),
});
export type DeltaJson = z.infer<typeof deltaJsonSchema>;

export const changeShowJsonSchema = z.object({
  id: z.string(),
  title: z.string(),
  deltaCount: z.number(),
  deltas: z.array(deltaJsonSchema),
});
export type ChangeShowJson = z.infer<typeof changeShowJsonSchema>;

export const specShowJsonSchema = z.object({
  id: z.string(),
  title: z.string(),
  overview: z.string(),
  requirementCount: z.number(),
  requirements: z.array(requirementJsonSchema),
  metadata: z.object({ version: z.string(), format: z.string() }),
});
export type SpecShowJson = z.infer<typeof specShowJsonSchema>;

export const changeListItemJsonSchema = z.object({
  name: z.string(),
  completedTasks: z.number(),
  totalTasks: z.number(),
  lastModified: z.string(),
  status: z.enum(["no-tasks", "in-progress", "complete"]),
});
export type ChangeListItemJson = z.infer<typeof changeListItemJsonSchema>;

/** What the parser derived from a change or spec folder, stored on the row. */
export type ParsedDocument = {
  /** The CLI's `show --json` body, or null when the CLI would refuse to show it. */
  show: ChangeShowJson | SpecShowJson | null;
  /** Why `show` is null (the CLI's own message where there is one). */
  showError: string | null;
  /**
   * An active change folder that only wraps nested change folders: their ids (`group/sub`), as
   * the CLI reports them.
   */
  nested?: string[];
};
