import {
  archiveChangeToolSchema,
  newChangeToolSchema,
  previewArchiveToolSchema,
  validateChangeToolSchema,
} from "@specsync/validators";
import { validationView } from "../format";
import { defineTool } from "../tool";

/**
 * The change lifecycle, carried out by the real OpenSpec CLI through LifecycleService (as in the
 * UI, tRPC and the CLI).
 */

export const newChange = defineTool({
  name: "new_change",
  description:
    "Create a new OpenSpec change (runs `openspec new change <name>`): a kebab-case name and an optional goal. Returns its name; then write proposal.md/tasks.md with update_file.",
  input: newChangeToolSchema,
  async run(ctx, q) {
    const project = await ctx.project(q.project);
    const created = await ctx.services.lifecycle.create({
      projectId: project.id,
      name: q.name,
      goal: q.goal,
      actor: ctx.actor,
    });
    const got = await ctx.services.specs.getWithoutParsed(created.id);
    return {
      name: created.name,
      path: created.path,
      files: Object.keys(got.files),
      hashes: got.contentHashes,
    };
  },
});

export const validateChange = defineTool({
  name: "validate_change",
  description:
    "Validate a change the way `openspec validate <id> --strict` does. Returns valid, counts, and each finding with its file and line.",
  input: validateChangeToolSchema,
  async run(ctx, q) {
    const ref = await ctx.change(q.change, q.project);
    return validationView(await ctx.services.lifecycle.validate({ id: ref.id, actor: ctx.actor }));
  },
});

export const previewArchive = defineTool({
  name: "preview_archive",
  description:
    "What archiving a change would do to the main specs, computed with archive's own rules: per capability, each requirement ADDED/MODIFIED/REMOVED/RENAMED, and any reason archive would refuse. Set full: true for the requirement texts before/after.",
  input: previewArchiveToolSchema,
  readOnly: true,
  async run(ctx, q) {
    const ref = await ctx.change(q.change, q.project);
    const p = await ctx.services.lifecycle.preview(ref.id);
    return {
      change: p.change,
      specs: p.specs.map((s) => ({
        capability: s.capability,
        file: s.file,
        ...(s.isNew ? { isNew: true } : {}),
        counts: s.counts,
        ...(s.error ? { error: s.error } : {}),
        ...(s.warnings.length ? { warnings: s.warnings } : {}),
        requirements: s.requirements.map((r) => ({
          op: r.op,
          name: r.name,
          ...(r.from ? { from: r.from } : {}),
          ...(q.full ? { before: r.before, after: r.after } : {}),
        })),
      })),
    };
  },
});

export const archiveChange = defineTool({
  name: "archive_change",
  description:
    "Archive a finished change with `openspec archive <id> --yes` (skipSpecs: true for `--skip-specs`): applies its delta specs to the main specs and moves the folder to changes/archive/. Call preview_archive first. Fails with the CLI's own message when archive refuses. A change someone else has claimed is refused (CONFLICT naming the owner and lease end) unless force: true (with expectedOwner: the owner you mean, so a claim that changed hands meanwhile is refused instead of ended); give owner to archive a change you claimed. Archiving ends the claim (in the change's claim history).",
  input: archiveChangeToolSchema,
  async run(ctx, q) {
    const ref = await ctx.change(q.change, q.project);
    const r = await ctx.services.lifecycle.archive({
      id: ref.id,
      skipSpecs: q.skipSpecs,
      actor: ctx.actor,
      owner: q.owner,
      force: q.force,
      expectedOwner: q.expectedOwner,
    });
    return {
      name: r.name,
      archivedAs: r.archivedAs,
      path: r.path,
      specsUpdated: r.specsUpdated,
      ...(r.totals ? { totals: r.totals } : {}),
    };
  },
});
