/**
 * `specsync new|validate|archive|next|claim|release`: one implementation, run by the CLI over
 * its own services, or by a running server (POST /cli/v1/run) over the server's when that server
 * holds the embedded database. Both print through here, so the output is the same bytes.
 */
import type { Services } from "@specsync/api";
import type { CliResult } from "@specsync/api/openspec-output";
import type { ProjectRow } from "@specsync/db";
import { z } from "zod";

export const LIFECYCLE_COMMANDS = [
  "new",
  "validate",
  "archive",
  "next",
  "claim",
  "release",
] as const;
export type LifecycleCommand = (typeof LIFECYCLE_COMMANDS)[number];

/** What the command line said, as sent to a running server (strict: nothing else is accepted). */
export const lifecycleRequestSchema = z.strictObject({
  command: z.enum(LIFECYCLE_COMMANDS),
  positionals: z.array(z.string()).max(16),
  json: z.boolean(),
  goal: z.string().optional(),
  actor: z.string().optional(),
  skipSpecs: z.boolean(),
  preview: z.boolean(),
  owner: z.string().optional(),
  lease: z.string().optional(),
  claim: z.boolean(),
  explain: z.boolean(),
  force: z.boolean().optional(),
});
export type LifecycleRequest = z.infer<typeof lifecycleRequestSchema>;

/** The usage errors, raised before any database or server is reached. */
export function checkUsage(req: LifecycleRequest): void {
  const [first] = req.positionals;
  const { command } = req;
  if ((command === "new" || command === "validate" || command === "archive") && !first)
    throw new Error(
      `usage: specsync ${command} <${command === "new" ? "name" : "change"}> [--json]`,
    );
  if ((command === "claim" || command === "release") && (!first || !req.owner))
    throw new Error(`usage: specsync ${command} <change> --owner NAME`);
}

/**
 * `--lease S` as a number. Not a number at all is a usage error here (the validator would say
 * "received NaN"); a number out of range reaches the validator and gets its message.
 */
function lease(v: string | undefined): { leaseSeconds?: number } {
  if (v === undefined) return {};
  if (!/^\d+$/.test(v))
    throw new Error(`--lease takes a whole number of seconds, e.g. --lease 600 (got "${v}")`);
  return { leaseSeconds: Number(v) };
}

type Printed = { out: string; code: number };
const printed = (json: boolean, value: unknown, text: () => string, code = 0): Printed => ({
  out: json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`,
  code,
});

/**
 * Run the command for `project`; it throws as the CLI always did (the caller turns an error into
 * `specsync: …` on stderr, exit 1).
 */
export async function runLifecycle(
  s: Services,
  project: ProjectRow,
  req: LifecycleRequest,
): Promise<CliResult> {
  checkUsage(req);
  const run =
    req.command === "new" || req.command === "validate" || req.command === "archive"
      ? changeLifecycle
      : req.command === "next"
        ? nextWork
        : claims;
  const { out, code } = await run(s, project, req);
  return { stdout: out, stderr: "", exitCode: code };
}

async function changeLifecycle(
  s: Services,
  project: ProjectRow,
  req: LifecycleRequest,
): Promise<Printed> {
  const name = req.positionals[0] ?? "";
  const actor = req.actor ?? "specsync-cli";
  if (req.command === "new") {
    const created = await s.lifecycle.create({
      projectId: project.id,
      name,
      goal: req.goal,
      actor,
    });
    return printed(req.json, created, () => `created openspec/${created.path}`);
  }
  const id = await s.lifecycle.resolveChange({ projectId: project.id, name });
  if (req.command === "validate") {
    const result = await s.lifecycle.validate({ id, actor });
    return printed(
      req.json,
      result,
      () =>
        [
          result.valid ? `${name} is valid` : `${name} is not valid: ${issueCount(result)}`,
          ...result.findings.map(
            (f) => `  ${f.level} ${f.file ?? "(change)"}${f.line ? `:${f.line}` : ""} ${f.message}`,
          ),
          ...(result.notShown ? [`  … ${result.notShown} more findings not shown`] : []),
        ].join("\n"),
      result.valid ? 0 : 2,
    );
  }
  if (req.preview) {
    const preview = await s.lifecycle.preview(id);
    return printed(
      req.json,
      preview,
      () =>
        preview.specs
          .map(
            (p) =>
              `${p.file}${p.isNew ? " (new)" : ""}${p.error ? ` — archive would fail: ${p.error}` : ""}\n${p.requirements.map((r) => `  ${r.op.padEnd(8)} ${r.from ? `${r.from} → ` : ""}${r.name}`).join("\n")}`,
          )
          .join("\n") || "no delta specs: archive moves the change only",
    );
  }
  const archived = await s.lifecycle.archive({
    id,
    skipSpecs: req.skipSpecs,
    actor,
    owner: req.owner,
    force: req.force,
  });
  return printed(req.json, archived, () => `${name}: ${archived.message}`);
}

async function nextWork(s: Services, project: ProjectRow, req: LifecycleRequest) {
  const res = await s.workQueue.next({
    projectId: project.id,
    owner: req.owner,
    claim: req.claim,
    explain: req.explain,
    ...lease(req.lease),
  });
  return printed(
    req.json,
    res,
    () =>
      [
        res.change
          ? `${res.change.name}  ${res.change.priority}  ${res.change.tasksCompleted}/${res.change.tasksTotal} tasks${res.claim ? `  claimed by ${res.claim.owner} until ${new Date(res.claim.expiresAt).toISOString()}` : ""}`
          : "nothing to start",
        `  ${res.reason}`,
        ...(res.skipped ?? []).map((k) => `  skipped ${k.name}: ${k.reason}`),
        ...(res.skippedMore ? [`  … and ${res.skippedMore} more skipped`] : []),
      ].join("\n"),
    res.change ? 0 : 3,
  );
}

async function claims(s: Services, project: ProjectRow, req: LifecycleRequest) {
  const change = await s.changes.resolve(req.positionals[0] ?? "", project.id);
  const owner = req.owner ?? "";
  if (req.command === "release") {
    const res = await s.claims.release({ id: change.id, owner });
    return printed(req.json, res, () => `${res.name} released`);
  }
  const res = await s.claims.claim({ id: change.id, owner, ...lease(req.lease) });
  return printed(
    req.json,
    res,
    () =>
      `${res.name} ${res.renewed ? "renewed" : "claimed"} by ${res.claim.owner} until ${res.claim.expiresAt.toISOString()}`,
  );
}

/** "1 error, 2 warnings": validation is strict, so warnings alone make a change not valid. */
function issueCount(r: { errors: number; warnings: number }): string {
  const n = (k: number, what: string) => `${k} ${what}${k === 1 ? "" : "s"}`;
  return `${n(r.errors, "error")}, ${n(r.warnings, "warning")} (strict)`;
}
