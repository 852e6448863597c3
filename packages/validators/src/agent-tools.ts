import { z } from "zod";
import { changeRefSchema, DEFAULT_LEASE_SECONDS, leaseSecondsSchema, ownerSchema } from "./agents";
import { fileContentSchema, hashSchema } from "./content";
import { lifecycleStatusSchema, prioritySchema } from "./enums";
import { capabilityIdSchema, relFilePathSchema } from "./ids";
import { newChangeNameSchema } from "./lifecycle";
import { storableText } from "./text";

/**
 * Inputs of the MCP tools (their JSON schemas are generated from these). Changes are named by
 * change id (`add-auth`) or row id; `project` (name, id or root path) is needed only when the
 * server has several.
 */
const project = storableText(z.string().trim().min(1).max(1000))
  .optional()
  .describe("project name, id or root path; only needed when the server syncs several projects");
const change = changeRefSchema.describe("change id (e.g. add-auth) or row id");
const owner = ownerSchema.describe(
  "who you are (agent or person name); the same owner renews and releases",
);

export const listChangesToolSchema = z.object({
  project,
  status: z.array(lifecycleStatusSchema).max(10).optional(),
  priority: z.array(prioritySchema).max(10).optional(),
  search: storableText(z.string().trim().max(200))
    .optional()
    .describe("full-text search in names and content"),
  claimed: z.boolean().optional().describe("true: only claimed changes; false: only unclaimed"),
  claimedBy: ownerSchema.optional(),
  archived: z.boolean().default(false).describe("list archived changes instead of active ones"),
  limit: z.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(2000)
    .optional()
    .describe("nextCursor of the previous page (opaque: pass it back as it came)"),
});

export const getChangeToolSchema = z.object({
  project,
  change,
  files: z
    .array(relFilePathSchema)
    .max(20)
    .optional()
    .describe("also return the full content of these files (e.g. design.md, specs/auth/spec.md)"),
});

export const getSpecToolSchema = z.object({
  project,
  capability: capabilityIdSchema.describe("capability id, e.g. auth or cli/init"),
});

export const nextWorkToolSchema = z.object({
  project,
  owner,
  claim: z.boolean().default(true).describe("claim the change returned, atomically (default true)"),
  leaseSeconds: leaseSecondsSchema.default(DEFAULT_LEASE_SECONDS),
  explain: z.boolean().default(false).describe("also list the changes passed over and why"),
});

export const claimChangeToolSchema = z.object({
  project,
  change,
  owner,
  leaseSeconds: leaseSecondsSchema.default(DEFAULT_LEASE_SECONDS),
});
export const releaseChangeToolSchema = z.object({ project, change, owner });

export const toggleTaskToolSchema = z.object({
  project,
  change,
  taskId: storableText(z.string().min(1).max(200)).describe("task id from get_change, e.g. 1.2"),
  done: z.boolean(),
  baseHash: hashSchema
    .optional()
    .describe("hashes['tasks.md'] from get_change; a stale one answers CONFLICT"),
});

export const updateFileToolSchema = z.object({
  project,
  change,
  file: relFilePathSchema.describe(
    "file in the change folder: proposal.md, tasks.md, design.md, specs/<capability>/spec.md",
  ),
  content: fileContentSchema,
  baseHash: hashSchema
    .nullable()
    .describe(
      "hash of the version you edited (hashes[file] from get_change); null to create a new file",
    ),
  validate: z
    .boolean()
    .optional()
    .describe(
      "true: after saving, run `openspec validate --strict` on the change and return its findings",
    ),
});

export const setStatusToolSchema = z.object({ project, change, status: lifecycleStatusSchema });
export const dependencyToolSchema = z.object({
  project,
  change,
  dependsOn: changeRefSchema.describe("the change it must wait for"),
});
export const overlapsToolSchema = z.object({ project, change });

export const newChangeToolSchema = z.object({
  project,
  name: newChangeNameSchema.describe("kebab-case change id, e.g. add-dark-mode"),
  goal: storableText(z.string().trim().max(500))
    .optional()
    .describe("one sentence: what the change is for"),
});
export const validateChangeToolSchema = z.object({ project, change });
export const previewArchiveToolSchema = z.object({
  project,
  change,
  full: z.boolean().default(false).describe("include each requirement's text before and after"),
});
export const archiveChangeToolSchema = z.object({
  project,
  change,
  skipSpecs: z
    .boolean()
    .default(false)
    .describe("move the change without applying its delta specs"),
  owner: ownerSchema
    .optional()
    .describe("who you are, as you claimed it: archiving a change you claimed needs no force"),
  force: z
    .boolean()
    .default(false)
    .describe(
      "archive even though someone else has claimed the change (their claim ends, recorded " +
        "in its claim history)",
    ),
  expectedOwner: ownerSchema
    .optional()
    .describe(
      "with force: the owner whose claim you mean to end (from the refusal); if someone else " +
        "holds it by then, the archive is refused naming them",
    ),
});
