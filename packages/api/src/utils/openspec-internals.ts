import path from "node:path";
import { pathToFileURL } from "node:url";
import { shortenTaskBoxRuns } from "./openspec/task-box-runs";
import type { OpenSpecCli } from "./openspec-cli";

/** A delta spec to apply, as the CLI's `findSpecUpdates` returns it. */
export type SpecUpdate = {
  id: string;
  sourceRoot: string;
  source: string;
  targetRoot: string;
  target: string;
  exists: boolean;
};
export type BuiltSpec = {
  rebuilt: string;
  counts: { added: number; modified: number; removed: number; renamed: number };
  warnings: string[];
  noRequirementBlocks?: boolean;
};
export type RequirementBlock = { headerLine: string; name: string; raw: string };
export type DeltaPlan = {
  added: { name: string; raw: string }[];
  modified: { name: string; raw: string }[];
  removed: string[];
  renamed: { from: string; to: string }[];
};

/**
 * The archive's own merge rules and the validator, taken from the installed OpenSpec CLI rather
 * than re-implemented: `openspec archive` builds each main spec with `buildUpdatedSpec` and writes
 * it with the file's own line endings (`matchLineEnding`), so a preview built with the same
 * functions is what archive writes. These modules are internal to the CLI, which is why the CLI
 * version is pinned to a checked range.
 */
export type ArchiveRules = {
  findSpecUpdates(changeDir: string, mainSpecsDir: string): Promise<SpecUpdate[]>;
  buildUpdatedSpec(
    update: SpecUpdate,
    changeName: string,
    options: { silent: true },
  ): Promise<BuiltSpec>;
  matchLineEnding(content: string, original: string): string;
  extractRequirementsSection(content: string): { bodyBlocks: RequirementBlock[] };
  parseDeltaSpec(content: string): DeltaPlan;
  normalizeRequirementName(name: string): string;
  foldRequirementName(name: string): string;
  /**
   * What `openspec validate <change> --strict` runs (commands/validate.js →
   * Validator.validateChangeDeltaSpecs): the same issues the CLI prints as JSON, without starting a
   * process.
   */
  validateChange(
    changeDir: string,
    opts: { mainSpecsDir: string; projectRoot: string },
  ): Promise<{
    valid: boolean;
    issues: { level: string; path: string; line?: number; message: string }[];
  }>;
};

type TaskDocuments = { documents: { path: string; content: string }[]; unreadable: number };
type CliValidator = {
  readTaskDocuments?: (changeDir: string, files: string[]) => Promise<TaskDocuments>;
  validateChangeDeltaSpecs: ArchiveRules["validateChange"];
};

/**
 * The validator's task-file lint runs the CLI's task regex, quadratic on whitespace inside a box
 * (`- [` + 1 MiB of spaces never finished, and froze the server that ran it): its task files are
 * handed over with those runs shortened, which changes no finding (`task-box-runs.ts`).
 */
function linearTaskReads(validator: CliValidator, version: string): CliValidator {
  const read = validator.readTaskDocuments?.bind(validator);
  if (!read)
    throw new Error(
      `OpenSpec CLI ${version} has no Validator.readTaskDocuments; ` +
        "specsync needs a supported CLI version",
    );
  validator.readTaskDocuments = async (changeDir, files) => {
    const r = await read(changeDir, files);
    const documents = r.documents.map((d) => ({ ...d, content: shortenTaskBoxRuns(d.content) }));
    return { ...r, documents };
  };
  return validator;
}

const loaded = new Map<string, Promise<ArchiveRules>>();

export function loadArchiveRules(cli: OpenSpecCli): Promise<ArchiveRules> {
  let rules = loaded.get(cli.packageDir);
  if (!rules) {
    const mod = (rel: string) => import(pathToFileURL(path.join(cli.packageDir, "dist", rel)).href);
    rules = Promise.all([
      mod("core/specs-apply.js"),
      mod("core/parsers/requirement-blocks.js"),
      mod("utils/line-endings.js"),
      mod("core/validation/validator.js"),
    ]).then(([apply, blocks, endings, validation]) => {
      if (typeof validation.Validator !== "function")
        throw new Error(
          `OpenSpec CLI ${cli.version} has no Validator; specsync needs a supported CLI version`,
        );
      const rules = {
        findSpecUpdates: apply.findSpecUpdates,
        buildUpdatedSpec: apply.buildUpdatedSpec,
        matchLineEnding: endings.matchLineEnding,
        extractRequirementsSection: blocks.extractRequirementsSection,
        parseDeltaSpec: blocks.parseDeltaSpec,
        normalizeRequirementName: blocks.normalizeRequirementName,
        foldRequirementName: blocks.foldRequirementName,
        // A fresh validator per run, in strict mode, exactly as the command builds it.
        validateChange: (changeDir: string, opts: { mainSpecsDir: string; projectRoot: string }) =>
          linearTaskReads(new validation.Validator(true), cli.version).validateChangeDeltaSpecs(
            changeDir,
            opts,
          ),
      } as ArchiveRules;
      for (const [name, fn] of Object.entries(rules)) {
        if (typeof fn !== "function")
          throw new Error(
            `OpenSpec CLI ${cli.version} has no ${name}(); the delta preview needs a supported CLI version`,
          );
      }
      return rules;
    });
    rules.catch(() => loaded.delete(cli.packageDir));
    loaded.set(cli.packageDir, rules);
  }
  return rules;
}
