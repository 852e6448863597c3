/**
 * The exact bytes `openspec list|show … --json` print (1.13), rebuilt from what the database holds.
 * Pure functions: the rules come from the CLI's dist/core/list.js, commands/show.js, change.js,
 * spec.js, cli/index.js (failWithError) and utils/match.js.
 */
import path from "node:path";
import type { ChangeShowJson, SpecShowJson } from "@specsync/validators";
import { describeNestedChange } from "../../utils/fs/change-folder";

/** What a command prints and how it exits. */
export type CliResult = { stdout: string; stderr: string; exitCode: number };

/** The CLI's `root` field: the nearest folder holding `openspec/`, canonical path. */
export type RootOutput = { path: string; source: "nearest" | "implicit" };

/** `console.log(JSON.stringify(v, null, 2))`. */
const printed = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const ok = (value: unknown): CliResult => ({ stdout: printed(value), stderr: "", exitCode: 0 });

/** `failWithError(err, { enabled: json, fallbackCode })`: one JSON document on stdout, exit 1. */
export const commandError = (
  code: string,
  message: string,
  payload: Record<string, unknown> = {},
): CliResult => ({
  stdout: printed({ ...payload, status: [{ severity: "error", code, message }] }),
  stderr: "",
  exitCode: 1,
});

/** Keys of `obj` in the given order first (those present), then any others as they come. */
function ordered<T extends object>(obj: T, keys: readonly string[]): T {
  const src = obj as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in src) out[k] = src[k];
  for (const k of Object.keys(src)) if (!(k in out)) out[k] = src[k];
  return out as T;
}

// jsonb stores object keys sorted by length, so the stored show bodies are put back in the CLI's
// order here.
const requirement = (r: unknown) => {
  const o = ordered(r as Record<string, unknown>, ["text", "scenarios"]);
  if (Array.isArray(o.scenarios))
    o.scenarios = o.scenarios.map((s) => ordered(s as object, ["rawText"]));
  return o;
};

export function changeShowInCliOrder(show: ChangeShowJson): ChangeShowJson {
  const out = ordered(show, ["id", "title", "deltaCount", "deltas"]);
  out.deltas = show.deltas.map((d) => {
    const o = ordered(d, [
      "spec",
      "operation",
      "description",
      "requirement",
      "requirements",
      "rename",
    ]) as Record<string, unknown>;
    if (o.requirement) o.requirement = requirement(o.requirement);
    if (Array.isArray(o.requirements)) o.requirements = o.requirements.map(requirement);
    if (o.rename) o.rename = ordered(o.rename as object, ["from", "to"]);
    return o as (typeof show.deltas)[number];
  });
  return out;
}

export function specShowInCliOrder(show: SpecShowJson): SpecShowJson {
  const out = ordered(show, [
    "id",
    "title",
    "overview",
    "requirementCount",
    "requirements",
    "metadata",
  ]);
  out.requirements = show.requirements.map(requirement) as SpecShowJson["requirements"];
  out.metadata = ordered(show.metadata, ["version", "format"]);
  return out;
}

// ------------------------------------------------------------------------------------------- list

export type ChangeListEntry = {
  name: string;
  completedTasks: number;
  totalTasks: number;
  lastModified: Date;
  nested?: string[] | undefined;
};

/** `list --sort`: the CLI takes `name` and treats anything else as `recent`. */
export type ListSort = "recent" | "name";
export const normalizeSort = (value: string | undefined): ListSort =>
  value === "name" ? "name" : "recent";

/**
 * `openspec list --json`. The CLI visits `changes/` in directory order (`dirOrder`, from readdir) and then
 * sorts by lastModified, newest first (or by name with `--sort name`, localeCompare), with a stable sort:
 * equal keys keep directory order.
 */
export function renderChangeList(
  entries: ChangeListEntry[],
  root: RootOutput,
  dirOrder: readonly string[],
  sort: ListSort = "recent",
): CliResult {
  const rank = new Map(dirOrder.map((n, i) => [n, i]));
  const visited = [...entries].sort(
    (a, b) =>
      (rank.get(a.name) ?? Infinity) - (rank.get(b.name) ?? Infinity) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  if (visited.length === 0) return ok({ changes: [], root });
  const changes = [...visited]
    .sort(
      sort === "name"
        ? (a, b) => a.name.localeCompare(b.name)
        : (a, b) => b.lastModified.getTime() - a.lastModified.getTime(),
    )
    .map((c) => ({
      name: c.name,
      completedTasks: c.completedTasks,
      totalTasks: c.totalTasks,
      lastModified: c.lastModified.toISOString(),
      status:
        c.totalTasks === 0
          ? "no-tasks"
          : c.completedTasks === c.totalTasks
            ? "complete"
            : "in-progress",
      ...(c.nested ? { nested: c.nested } : {}),
    }));
  const warnings = visited.flatMap((c) =>
    c.nested
      ? [
          {
            code: "nested_change_directory",
            name: c.name,
            nested: c.nested,
            message: describeNestedChange(c.name, c.nested),
          },
        ]
      : [],
  );
  return ok({ changes, ...(warnings.length ? { warnings } : {}), root });
}

/**
 * `openspec list --json` when counting a change's tasks fails (a tasks.md linked out of its
 * folder, a dangling link): the CLI prints no list at all, only the first such error.
 */
export const listError = (message: string) =>
  commandError("list_error", message, { changes: [], root: null });

/** `openspec list --specs --json` when its spec discovery fails (a spec.md linked out of specs/). */
export const specListError = (message: string) =>
  commandError("list_error", message, { specs: [], root: null });

/** `openspec list --specs --json`: sorted with localeCompare, like the CLI. */
export function renderSpecList(
  specs: { id: string; requirementCount: number }[],
  root: RootOutput,
): CliResult {
  return ok({ specs: [...specs].sort((a, b) => a.id.localeCompare(b.id)), root });
}

// ------------------------------------------------------------------------------------------- show

export type ShowType = "change" | "spec" | undefined;

/** `--type` as the CLI reads it: case-insensitive `change`/`spec`, anything else ignored. */
export function normalizeType(value: string | undefined): ShowType {
  const v = value?.toLowerCase();
  return v === "change" || v === "spec" ? v : undefined;
}

export function levenshtein(a: string, b: string): number {
  // Two rows of the edit-distance table: `prev` is row i - 1, `row` is row i.
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitute));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

export function nearestMatches(input: string, candidates: string[], max = 5): string[] {
  return candidates
    .map((candidate) => ({ candidate, distance: levenshtein(input, candidate) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, max)
    .map((s) => s.candidate);
}

/** A change row as `show` needs it. */
export type ShowableChange = {
  show: ChangeShowJson | null;
  showError: string | null;
  nested?: string[] | undefined;
};
export type ShowableSpec = { show: SpecShowJson | null; showError: string | null };

export type ShowInput = {
  id: string;
  type: ShowType;
  root: RootOutput;
  /** Absolute path of `openspec/` (for the CLI's "not found at …" messages). */
  openspecDir: string;
  /** Active change ids, code-unit sorted (getActiveChangeIds: no hidden folders, no symlinks). */
  changeIds: string[];
  /** Capability ids, code-unit sorted (getSpecIds). */
  specIds: string[];
  /** Why getSpecIds fails (a spec.md linked out of its capability…): the answer unless `--type change`. */
  specIdsError?: string | null;
  /** `changes/<id>` when it is a folder (`--type change` reads any, hidden or symlinked), else null. */
  change: ShowableChange | null;
  spec: ShowableSpec | null;
};

/**
 * How `openspec show` resolves `id` (commands/show.js): "change" or "spec", else its answer for
 * an unknown or ambiguous item — one JSON document with `--json`, lines on stderr without.
 */
export function resolveShowItem(
  input: Pick<ShowInput, "id" | "type" | "changeIds" | "specIds">,
  json: boolean,
): "change" | "spec" | CliResult {
  const { id, type } = input;
  const isChange = type !== "spec" && input.changeIds.includes(id);
  const isSpec = type !== "change" && input.specIds.includes(id);
  const resolved = type ?? (isChange ? "change" : isSpec ? "spec" : undefined);
  if (!resolved) {
    const suggestions = nearestMatches(id, [...input.changeIds, ...input.specIds]);
    const message = suggestions.length
      ? `Unknown item '${id}'. Did you mean: ${suggestions.join(", ")}?`
      : `Unknown item '${id}'.`;
    return json
      ? {
          stdout: printed({ status: [{ severity: "error", code: "unknown_item", message }] }),
          stderr: "",
          exitCode: 1,
        }
      : { stdout: "", stderr: `${message}\n`, exitCode: 1 };
  }
  if (!type && isChange && isSpec) {
    const message = `Ambiguous item '${id}' matches both a change and a spec.`;
    return json
      ? {
          stdout: printed({
            status: [
              {
                severity: "error",
                code: "ambiguous_item",
                message,
                fix: "Pass --type change|spec.",
              },
            ],
          }),
          stderr: "",
          exitCode: 1,
        }
      : {
          stdout: "",
          stderr:
            `${message}\nPass --type change|spec, ` +
            "or use: openspec change show / openspec spec show\n",
          exitCode: 1,
        };
  }
  return resolved;
}

/** A command's failure without `--json` (failWithError: ora's fail line on stderr, exit 1). */
export const textError = (message: string): CliResult => ({
  stdout: "",
  stderr: `\u2716 Error: ${message}\n`,
  exitCode: 1,
});

/** `openspec show <id> [--type change|spec] --json`. */
export function renderShow(input: ShowInput): CliResult {
  const { id, root } = input;
  const fail = (message: string) => commandError("show_error", message);
  if (input.specIdsError && input.type !== "change") return fail(input.specIdsError);
  const resolved = resolveShowItem(input, true);
  if (typeof resolved !== "string") return resolved;
  if (resolved === "change") {
    const c = input.change;
    if (!c)
      return fail(
        `Change "${id}" not found at ${path.join(input.openspecDir, "changes", id, "proposal.md")}`,
      );
    if (c.show) return ok({ ...changeShowInCliOrder(c.show), root });
    if (c.nested) return fail(describeNestedChange(id, c.nested));
    return fail(c.showError ?? `Change "${id}" cannot be shown`);
  }
  // `--type spec` reads `specs/<id>/spec.md` whether or not discovery lists it.
  const s = input.spec;
  if (!s)
    return fail(
      `Spec '${id}' not found at ${path.join(input.openspecDir, "specs", id, "spec.md")}`,
    );
  if (s.show) return ok({ ...specShowInCliOrder(s.show), root });
  return fail(s.showError ?? `Spec '${id}' cannot be shown`);
}

/** `openspec show` with no item, not interactive: a hint on stderr, exit 1. */
export function renderShowWithoutItem(): CliResult {
  return {
    stdout: "",
    stderr: [
      "Nothing to show. Try one of:",
      "  openspec show <item>",
      "  openspec change show",
      "  openspec spec show",
      "Or run in an interactive terminal.",
      "",
    ].join("\n"),
    exitCode: 1,
  };
}

/**
 * `openspec list|show --json` run where no folder up the tree holds `openspec/`: `list` reports
 * `no_openspec_root` (or, given the "implicit" root of an `openspec/project.md`, lists its nothing);
 * `show` looks in `<cwd>/openspec` and finds nothing.
 */
export function noRootOutput(
  req:
    | { command: "list"; specs: boolean; root: RootOutput | null }
    | { command: "show"; id: string | undefined; type: string | undefined },
  cwd: string,
): CliResult {
  if (req.command === "list" && req.root)
    return ok({ [req.specs ? "specs" : "changes"]: [], root: req.root });
  if (req.command === "list") {
    const status = [
      {
        severity: "error",
        code: "no_openspec_root",
        message: "No OpenSpec root found from the current directory.",
        target: "openspec.root",
        fix: "Run openspec init to create a root here.",
      },
    ];
    return {
      stdout: printed({ [req.specs ? "specs" : "changes"]: [], root: null, status }),
      stderr: "",
      exitCode: 1,
    };
  }
  if (req.id === undefined) return renderShowWithoutItem();
  return renderShow({
    id: req.id,
    type: normalizeType(req.type),
    root: { path: cwd, source: "nearest" },
    openspecDir: path.join(cwd, "openspec"),
    changeIds: [],
    specIds: [],
    change: null,
    spec: null,
  });
}
