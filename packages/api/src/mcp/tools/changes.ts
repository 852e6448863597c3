import {
  getChangeToolSchema,
  getSpecToolSchema,
  type ListAfter,
  listAfterSchema,
  listChangesToolSchema,
  overlapsToolSchema,
  setStatusToolSchema,
  toggleTaskToolSchema,
  updateFileToolSchema,
} from "@specsync/validators";
import { SpecsyncError } from "../../utils/errors";
import { hasDeltaSections, parseDeltaSpec } from "../../utils/openspec/delta-spec";
import { parseTasks } from "../../utils/openspec/tasks";
import { claimView, tasksLabel, validationView } from "../format";
import { defineTool, type ToolContext } from "../tool";

export const listChanges = defineTool({
  name: "list_changes",
  description:
    "List OpenSpec changes (active by default), highest priority first. Filter by status, priority, claim, or full-text search. Paginated: pass nextCursor back as cursor.",
  input: listChangesToolSchema,
  readOnly: true,
  async run(ctx, q) {
    const project = await ctx.project(q.project);
    const page = await ctx.services.specs.list({
      projectId: project.id,
      kind: "change",
      archived: q.archived,
      status: q.status,
      priority: q.priority,
      search: q.search,
      claimed: q.claimed,
      claimedBy: q.claimedBy,
      sort: "priority",
      limit: q.limit,
      after: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
    });
    return {
      changes: page.items.map((i) => ({
        name: i.name,
        title: i.title,
        status: i.status,
        priority: i.priority,
        tasks: tasksLabel(i.tasksCompleted, i.tasksTotal),
        ...(i.claimedBy ? { claimedBy: i.claimedBy } : {}),
      })),
      nextCursor: page.nextAfter ? encodeCursor(page.nextAfter) : null,
      // After a large import the search vectors fill in the background: say what search missed.
      ...(page.searchPending
        ? {
            searchCatchingUp: `${page.searchPending} changes not yet searchable by their text (matched by name and title only); search again shortly`,
          }
        : {}),
    };
  },
});

/**
 * list_changes pages by keyset: the cursor is the last row's sort key (priority rank, name, id),
 * so a priority changed by someone else between pages skips or repeats nothing else.
 */
function encodeCursor(after: ListAfter): string {
  return Buffer.from(JSON.stringify([after.rank, after.name, after.id])).toString("base64url");
}

function decodeCursor(cursor: string): ListAfter {
  try {
    const [rank, name, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    return listAfterSchema.parse({ rank, name, id });
  } catch {
    throw new SpecsyncError("BAD_REQUEST", "cursor is not a nextCursor from list_changes");
  }
}

export const getChange = defineTool({
  name: "get_change",
  description:
    "Get one change: proposal text, tasks (with ids for toggle_task), the requirements its delta specs touch, status, priority, claim, dependencies, and file hashes (baseHash for update_file/toggle_task). Ask for other files' content with files. syncError, when present, names files on disk that could not be read (and so are not listed).",
  input: getChangeToolSchema,
  readOnly: true,
  async run(ctx, q) {
    const ref = await ctx.change(q.change, q.project);
    const [got, claim, deps] = await Promise.all([
      ctx.services.specs.getWithoutParsed(ref.id),
      ctx.services.claims.get(ref.id),
      ctx.services.dependencies.list(ref.id),
    ]);
    const deltas: Record<string, Record<string, string[]>> = {};
    for (const [file, content] of Object.entries(got.files)) {
      const m = file.match(/^specs\/(.+)\/spec\.md$/);
      if (!m) continue;
      const plan = parseDeltaSpec(content);
      const ops: Record<string, string[]> = {};
      if (plan.added.length) ops.ADDED = plan.added.map((b) => b.name);
      if (plan.modified.length) ops.MODIFIED = plan.modified.map((b) => b.name);
      if (plan.removed.length) ops.REMOVED = plan.removed;
      if (plan.renamed.length) ops.RENAMED = plan.renamed.map((r) => `${r.from} → ${r.to}`);
      deltas[m[1] ?? ""] = ops;
    }
    const extra: Record<string, string | null> = {};
    for (const f of q.files ?? []) extra[f] = got.files[f] ?? null;
    return {
      id: got.id,
      name: got.name,
      title: got.title,
      path: got.path,
      status: got.status,
      priority: got.priority,
      archived: got.archived,
      claim: claimView(claim),
      dependsOn: deps.dependsOn.map((d) => ({ name: d.name, archived: d.archived })),
      blockedBy: deps.blockedBy,
      proposal: got.files["proposal.md"] ?? null,
      tasks: got.tasks.map((t) => ({ id: t.id, text: t.text, done: t.done })),
      deltas,
      files: Object.keys(got.files),
      hashes: got.contentHashes,
      ...(q.files?.length ? { content: extra } : {}),
      ...(got.conflict ? { conflict: got.conflict } : {}),
      // A file the last sync could not read (over 1 MiB, not UTF-8, a link outside the root) is
      // missing from `files`: say so, or the agent takes the folder for complete.
      ...(got.syncError ? { syncError: got.syncError } : {}),
    };
  },
});

export const getSpec = defineTool({
  name: "get_spec",
  description:
    "Get a main capability spec (openspec/specs/<capability>/spec.md): its content, hash and requirement names.",
  input: getSpecToolSchema,
  readOnly: true,
  async run(ctx, q) {
    const project = await ctx.project(q.project);
    const { id } = await ctx.services.changes.spec(q.capability, project.id);
    const got = await ctx.services.specs.get(id);
    const content = got.files["spec.md"] ?? "";
    const requirements =
      (got.parsed?.show as { requirements?: { text: string }[] } | undefined)?.requirements
        ?.length ?? got.requirementCount;
    return {
      id,
      capability: got.name,
      path: got.path,
      hash: got.contentHashes["spec.md"] ?? null,
      requirements,
      content,
    };
  },
});

export const toggleTask = defineTool({
  name: "toggle_task",
  description:
    "Tick (done: true) or untick a task of a change by its id from get_change. Writes exactly one character of tasks.md. Returns the new tasks.md hash.",
  input: toggleTaskToolSchema,
  async run(ctx, q) {
    const ref = await ctx.change(q.change, q.project);
    const baseHash = q.baseHash ?? (await currentTasksHash(ctx, ref.id, ref.name, q.taskId));
    const res = await ctx.services.specs.toggleTask({
      id: ref.id,
      taskId: q.taskId,
      done: q.done,
      baseHash,
      actor: ctx.actor,
    });
    const after = await ctx.services.specs.getWithoutParsed(ref.id);
    return {
      change: ref.name,
      taskId: q.taskId,
      done: q.done,
      hash: res.hash,
      tasks: tasksLabel(after.tasksCompleted, after.tasksTotal),
    };
  },
});

/**
 * Without a baseHash the toggle applies to the current version (setting a task's state is
 * idempotent), but only for a task whose text is unique: the ids of repeated texts count
 * occurrences, and a task added since the read would shift them onto another task.
 */
async function currentTasksHash(ctx: ToolContext, id: string, name: string, taskId: string) {
  const row = await ctx.services.specs.getWithoutParsed(id);
  const hash = row.contentHashes["tasks.md"];
  const content = row.files["tasks.md"];
  if (!hash || content === undefined)
    throw new SpecsyncError("NOT_FOUND", `${name} has no tasks.md`);
  const tasks = parseTasks(content);
  const task = tasks.find((t) => t.id === taskId);
  if (task && tasks.filter((t) => t.text === task.text).length > 1)
    throw new SpecsyncError(
      "CONFLICT",
      `task ${taskId} repeats its text in tasks.md; pass the baseHash you read with get_change ` +
        "so it is found in the version you saw",
      { currentContent: content, currentHash: hash },
    );
  return hash;
}

export const updateFile = defineTool({
  name: "update_file",
  description:
    "Replace a file of a change (proposal.md, tasks.md, design.md, specs/<cap>/spec.md). baseHash must be the hash you read; if the file changed since, you get a CONFLICT error carrying currentContent and currentHash: merge and retry with currentHash. warnings: what OpenSpec will not read in what you wrote; validate: true also runs openspec validate and returns its findings.",
  input: updateFileToolSchema,
  async run(ctx, q) {
    const ref = await ctx.change(q.change, q.project);
    // An agent's stale view is a CONFLICT (README): it must see the text it changes.
    const res = await ctx.services.specs.update(
      { id: ref.id, file: q.file, content: q.content, baseHash: q.baseHash, actor: ctx.actor },
      { mergeStale: false },
    );
    const warnings = deltaWarnings(q.file, q.content);
    const validation = q.validate
      ? validationView(await ctx.services.lifecycle.validate({ id: ref.id, actor: ctx.actor }))
      : undefined;
    return {
      change: ref.name,
      file: q.file,
      hash: res.hash,
      ...(warnings.length ? { warnings } : {}),
      ...(validation ? { validation } : {}),
    };
  },
});

export const setStatus = defineTool({
  name: "set_status",
  description:
    'Set a change\'s workflow status (proposing, approved, assigned, in_progress, review, applied). "archived" is not set by hand: use archive_change. Invalid moves say why.',
  input: setStatusToolSchema,
  async run(ctx, q) {
    const ref = await ctx.change(q.change, q.project);
    const row = await ctx.services.specs.setStatus({
      id: ref.id,
      status: q.status,
      actor: ctx.actor,
    });
    return { change: ref.name, status: row.status };
  },
});

export const overlaps = defineTool({
  name: "overlaps",
  description:
    "Active changes whose delta specs touch the same requirement (same capability) as this change: likely merge conflicts. Lists the shared requirements.",
  input: overlapsToolSchema,
  readOnly: true,
  async run(ctx, q) {
    const ref = await ctx.change(q.change, q.project);
    const found = await ctx.services.overlaps.forChange(ref.id);
    return {
      change: ref.name,
      overlaps: found.map((o) => ({
        name: o.name,
        status: o.status,
        requirements: o.requirements.map((r) => `${r.capability}: ${r.requirement}`),
      })),
    };
  },
});

const DELTA_FILE = /^specs\/.+\/spec\.md$/;

/**
 * A delta spec OpenSpec reads nothing from (no ADDED/MODIFIED/REMOVED/RENAMED section) is saved
 * like any file, but the agent should know it changes no requirement: the usual slip is writing
 * a main spec's shape (`## Requirements`) into a change.
 */
function deltaWarnings(file: string, content: string): string[] {
  if (!DELTA_FILE.test(file) || hasDeltaSections(parseDeltaSpec(content))) return [];
  return [
    `${file} has no "## ADDED Requirements" (or MODIFIED, REMOVED, RENAMED) section, so OpenSpec ` +
      "reads no requirement change from it and `openspec validate` reports the change; " +
      "check with validate_change",
  ];
}
