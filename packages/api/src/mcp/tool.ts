import type { ProjectRow } from "@specsync/db";
import type { z } from "zod";
import type { Services } from "../services";

/** What every tool gets: the services, plus lookups that turn the names agents use into rows. */
export type ToolContext = {
  services: Services;
  /** Who edits, for history (`mcp:<client name>`). */
  actor: string;
  project(ref: string | undefined): Promise<ProjectRow>;
  /** A change by change id or row id (change ids are looked up in `project`). */
  change(
    ref: string,
    project: string | undefined,
  ): Promise<{ id: string; name: string; projectId: string }>;
};

/**
 * One MCP tool: a name, a short description written for a model, the zod input schema (from
 * @specsync/validators; the JSON schema clients see is generated from it) and a thin call into the
 * services. The value returned is sent as compact JSON; a thrown SpecsyncError becomes a tool error
 * (isError).
 */
export type ToolDefinition<S extends z.ZodObject = z.ZodObject> = {
  name: string;
  description: string;
  input: S;
  /** True when the tool changes nothing (a hint for clients that ask before calling). */
  readOnly?: boolean;
  run(ctx: ToolContext, input: z.output<S>): Promise<unknown>;
};

export function defineTool<S extends z.ZodObject>(tool: ToolDefinition<S>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}
