import type { ChangeShowJson, ParsedDocument, SpecKind, SpecShowJson } from "@specsync/validators";
import { errorMessage } from "../errors";
import { buildChangeShow, buildSpecShow } from "./change-show";
import { parseChangeMeta } from "./meta";
import { parseProposal } from "./proposal";
import { parseTasks, summarizeTasks } from "./tasks";

/** Everything specsync derives from a folder's files, ready to store on the row. */
export type DerivedFields = {
  title: string;
  why: string | null;
  whatChanges: string | null;
  impact: string | null;
  tasksTotal: number;
  tasksCompleted: number;
  completion: number;
  requirementCount: number;
  scenarioCount: number;
  deltaCount: number;
  meta: Record<string, unknown>;
  parsed: ParsedDocument;
  parseError: string | null;
};

/**
 * Derive parsed fields from the files of a change or spec. Never throws: problems land in
 * `parseError`.
 */
export function deriveFields(
  kind: SpecKind,
  name: string,
  files: Record<string, string>,
): DerivedFields {
  const errors: string[] = [];
  return kind === "change" ? deriveChange(name, files, errors) : deriveSpec(name, files, errors);
}

function deriveChange(
  name: string,
  files: Record<string, string>,
  errors: string[],
): DerivedFields {
  const proposal = files["proposal.md"];
  const fields = proposal !== undefined ? parseProposal(proposal, name) : null;
  const tasks = summarizeTasks(parseTasks(files["tasks.md"] ?? ""));
  let meta: Record<string, unknown> = {};
  if (files[".openspec.yaml"] !== undefined) {
    try {
      meta = parseChangeMeta(files[".openspec.yaml"]);
    } catch (err) {
      errors.push(`.openspec.yaml: ${errorMessage(err)}`);
    }
  }
  const deltaSpecs = deltaSpecsOf(files);
  let show: ChangeShowJson | null = null;
  let showError: string | null = null;
  if (proposal === undefined)
    showError = `Change "${name}" has no proposal.md yet. Run "openspec status --change ${name}" to see which artifact comes next.`;
  else {
    try {
      show = buildChangeShow(name, proposal, deltaSpecs);
    } catch (err) {
      showError = errorMessage(err);
    }
  }
  if (showError) errors.push(`proposal.md: ${showError}`);
  const requirements = show?.deltas.flatMap((d) => d.requirements ?? []) ?? [];
  return {
    title: fields?.title ?? name,
    why: fields?.why ?? null,
    whatChanges: fields?.whatChanges ?? null,
    impact: fields?.impact ?? null,
    tasksTotal: tasks.total,
    tasksCompleted: tasks.completed,
    completion: tasks.percent,
    requirementCount: requirements.length,
    scenarioCount: requirements.reduce((n, r) => n + r.scenarios.length, 0),
    deltaCount: show?.deltaCount ?? 0,
    meta: { ...fields?.frontMatter, ...meta },
    parsed: { show, showError },
    parseError: errors.length ? errors.join("; ") : null,
  };
}

function deriveSpec(name: string, files: Record<string, string>, errors: string[]): DerivedFields {
  const content = files["spec.md"] ?? "";
  let show: SpecShowJson | null = null;
  let showError: string | null = null;
  try {
    show = buildSpecShow(name, content);
  } catch (err) {
    showError = errorMessage(err);
    errors.push(`spec.md: ${showError}`);
  }
  const heading = content.match(/^#\s+(.+)$/m)?.[1]?.trim();
  return {
    title: heading || name,
    why: show?.overview ?? null,
    whatChanges: null,
    impact: null,
    tasksTotal: 0,
    tasksCompleted: 0,
    completion: 0,
    requirementCount: show?.requirementCount ?? 0,
    scenarioCount: show?.requirements.reduce((n, r) => n + r.scenarios.length, 0) ?? 0,
    deltaCount: 0,
    meta: {},
    parsed: { show, showError },
    parseError: errors.length ? errors.join("; ") : null,
  };
}

/** Delta spec files of a change (`specs/<cap>/spec.md`), keyed by capability id. */
export function deltaSpecsOf(files: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, content] of Object.entries(files)) {
    const m = file.match(/^specs\/(.+)\/spec\.md$/);
    if (m?.[1]) out[m[1]] = content;
  }
  return out;
}

/**
 * The fields of a folder whose files could not be parsed at all (the parse worker failed or
 * timed out).
 */
export function unparsedFields(name: string, error: string): DerivedFields {
  return {
    title: name,
    why: null,
    whatChanges: null,
    impact: null,
    tasksTotal: 0,
    tasksCompleted: 0,
    completion: 0,
    requirementCount: 0,
    scenarioCount: 0,
    deltaCount: 0,
    meta: {},
    parsed: { show: null, showError: error },
    parseError: error,
  };
}
