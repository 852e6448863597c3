import type { ChangeShowJson, ParsedDocument, SpecKind, SpecShowJson } from "@specsync/validators";
import { errorMessage } from "../errors";
import { sha256 } from "../hash";
import { buildChangeShow, buildSpecShow, type DeltaPart, deltaPartOf } from "./change-show";
import { parseChangeMeta } from "./meta";
import { parseProposal } from "./proposal";
import { parseTasks, summarizeTasks, type TaskSummary } from "./tasks";

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
 * The parses of a change's files other than the proposal, each a function of one file's content:
 * a save can take them from an earlier derive of the same bytes (`createPartsMemo`).
 */
export type ParseParts = {
  tasks: (content: string) => TaskSummary;
  /** Throws on malformed YAML, as `parseChangeMeta` does. */
  meta: (content: string) => Record<string, unknown>;
  delta: (spec: string, content: string) => DeltaPart;
};

const parseEach: ParseParts = {
  tasks: (content) => summarizeTasks(parseTasks(content)),
  meta: parseChangeMeta,
  delta: deltaPartOf,
};

/**
 * Derive parsed fields from the files of a change or spec. Never throws: problems land in
 * `parseError`.
 */
export function deriveFields(
  kind: SpecKind,
  name: string,
  files: Record<string, string>,
  parts: ParseParts = parseEach,
): DerivedFields {
  const errors: string[] = [];
  return kind === "change"
    ? deriveChange(name, files, errors, parts)
    : deriveSpec(name, files, errors);
}

function deriveChange(
  name: string,
  files: Record<string, string>,
  errors: string[],
  parts: ParseParts,
): DerivedFields {
  const proposal = files["proposal.md"];
  const fields = proposal !== undefined ? parseProposal(proposal, name) : null;
  const tasks = parts.tasks(files["tasks.md"] ?? "");
  let meta: Record<string, unknown> = {};
  if (files[".openspec.yaml"] !== undefined) {
    try {
      meta = parts.meta(files[".openspec.yaml"]);
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
      show = buildChangeShow(name, proposal, deltaSpecs, parts.delta, fields?.sections);
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

/** A folder's file → sha256 of its content (a row's `contentHashes`). */
export type FileHashes = Record<string, string>;

/**
 * Memoised `ParseParts` for one folder's files, keyed by the hashes of their contents.
 */
export type PartsMemo = (hashes: FileHashes) => ParseParts;

/**
 * Parses that keep the last `max` results by content hash (least recently used out): a save
 * re-parses the file it changed, and takes the others' parses from the previous save of the same
 * change. Keyed by the hashes the save computes anyway, not by the contents (up to 512 whole
 * files of keys). A file missing from `hashes` is hashed here. Results are frozen, as they are
 * shared between derives; a parse that throws is not kept (it throws again next time).
 */
export function createPartsMemo(max = 512): PartsMemo {
  const kept = new Map<string, unknown>();
  const memo = <T>(key: string, compute: () => T): T => {
    const hit = kept.get(key);
    if (hit !== undefined) {
      kept.delete(key);
      kept.set(key, hit);
      return hit as T;
    }
    const value = deepFreeze(compute());
    kept.set(key, value);
    if (kept.size > max) kept.delete(kept.keys().next().value as string);
    return value;
  };
  return (hashes) => {
    const hashOf = (file: string, content: string) => hashes[file] ?? sha256(content);
    return {
      tasks: (content) => memo(`t\0${hashOf("tasks.md", content)}`, () => parseEach.tasks(content)),
      meta: (content) =>
        memo(`m\0${hashOf(".openspec.yaml", content)}`, () => parseEach.meta(content)),
      delta: (spec, content) =>
        memo(`d\0${spec}\0${hashOf(`specs/${spec}/spec.md`, content)}`, () =>
          parseEach.delta(spec, content),
        ),
    };
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
