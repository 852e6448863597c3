import type { NewSpecRow, SpecRow } from "@specsync/db";
import type { SpecKind } from "@specsync/validators";
import { sha256 } from "../utils/hash";
import { deltaSpecsOf } from "../utils/openspec";

/** The database's version of a folder's files, keyed by path relative to the folder. */
export type FileMap = Record<string, string>;

const BOM = "\uFEFF";

/** The exact file contents the row holds (leading BOMs restored). */
export type ContentOfRow = Pick<
  SpecRow,
  | "kind"
  | "specContent"
  | "proposalContent"
  | "tasksContent"
  | "designContent"
  | "metaContent"
  | "deltaSpecs"
  | "bomFiles"
>;

export function filesOfRow(row: ContentOfRow): FileMap {
  const files: FileMap = {};
  if (row.kind === "spec") {
    if (row.specContent !== null) files["spec.md"] = row.specContent;
  } else {
    if (row.proposalContent !== null) files["proposal.md"] = row.proposalContent;
    if (row.tasksContent !== null) files["tasks.md"] = row.tasksContent;
    if (row.designContent !== null) files["design.md"] = row.designContent;
    if (row.metaContent !== null) files[".openspec.yaml"] = row.metaContent;
    for (const [cap, content] of Object.entries(row.deltaSpecs ?? {}))
      files[`specs/${cap}/spec.md`] = content;
  }
  for (const f of row.bomFiles ?? []) if (files[f] !== undefined) files[f] = BOM + files[f];
  return files;
}

/**
 * Content columns for a file map (the inverse of filesOfRow); a leading BOM is recorded in
 * `bomFiles`.
 */
export function contentColumns(kind: SpecKind, files: FileMap): Partial<NewSpecRow> {
  const bomFiles: string[] = [];
  const text: FileMap = {};
  for (const [f, c] of Object.entries(files)) {
    if (c.startsWith(BOM)) bomFiles.push(f);
    text[f] = c.startsWith(BOM) ? c.slice(1) : c;
  }
  if (kind === "spec") return { specContent: text["spec.md"] ?? null, bomFiles };
  return {
    proposalContent: text["proposal.md"] ?? null,
    tasksContent: text["tasks.md"] ?? null,
    designContent: text["design.md"] ?? null,
    metaContent: text[".openspec.yaml"] ?? null,
    deltaSpecs: deltaSpecsOf(text),
    bomFiles,
  };
}

export function hashFiles(files: FileMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, content] of Object.entries(files)) out[file] = sha256(content);
  return out;
}
