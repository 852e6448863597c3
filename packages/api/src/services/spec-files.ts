import type { NewSpecRow, SpecRow } from "@specsync/db";
import type { SpecKind } from "@specsync/validators";
import { deltaSpecsOf } from "../utils/openspec";
import { sha256 } from "../utils/hash";

/** The database's version of a folder's files, keyed by path relative to the folder. */
export type FileMap = Record<string, string>;

export function filesOfRow(row: SpecRow): FileMap {
  const files: FileMap = {};
  if (row.kind === "spec") {
    if (row.specContent !== null) files["spec.md"] = row.specContent;
    return files;
  }
  if (row.proposalContent !== null) files["proposal.md"] = row.proposalContent;
  if (row.tasksContent !== null) files["tasks.md"] = row.tasksContent;
  if (row.designContent !== null) files["design.md"] = row.designContent;
  if (row.metaContent !== null) files[".openspec.yaml"] = row.metaContent;
  for (const [cap, content] of Object.entries(row.deltaSpecs ?? {})) files[`specs/${cap}/spec.md`] = content;
  return files;
}

/** Content columns for a file map (the inverse of filesOfRow). */
export function contentColumns(kind: SpecKind, files: FileMap): Partial<NewSpecRow> {
  if (kind === "spec") return { specContent: files["spec.md"] ?? null };
  return {
    proposalContent: files["proposal.md"] ?? null,
    tasksContent: files["tasks.md"] ?? null,
    designContent: files["design.md"] ?? null,
    metaContent: files[".openspec.yaml"] ?? null,
    deltaSpecs: deltaSpecsOf(files),
  };
}

export function hashFiles(files: FileMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, content] of Object.entries(files)) out[file] = sha256(content);
  return out;
}
