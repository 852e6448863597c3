import type { SpecKind } from "@specsync/validators";
import { type FingerprintCheck, unchangedFolders } from "../fs/folder-fingerprint";
import { type DerivedFields, deriveFields } from "./derive";
import { requirementOutline } from "./structure";
import { parseTasks, type TaskItem } from "./tasks";

/**
 * The parsing work specsync can hand to a worker thread, as plain data in and out (structured-clone
 * safe). `runParseJob` is pure: the worker only calls it, and the main thread calls it directly for
 * small inputs.
 */
export type DeriveJob = {
  op: "derive";
  kind: SpecKind;
  name: string;
  files: Record<string, string>;
};
/** A change page's structure: the task list, a main spec's requirements. */
export type PageJob = { op: "page"; tasks?: string; requirements?: string };
/** A no-op reconcile's stats (not parsing, but the same kind of plain-data work). */
export type FingerprintJob = { op: "fingerprints"; checks: FingerprintCheck[] };
export type ParseJob = DeriveJob | PageJob | FingerprintJob;

export type PageStructure = {
  tasks?: TaskItem[];
  requirements?: ReturnType<typeof requirementOutline>;
};
export type ParseResult<J extends ParseJob> = J extends DeriveJob
  ? DerivedFields
  : J extends FingerprintJob
    ? boolean[]
    : PageStructure;

export function runParseJob<J extends ParseJob>(job: J): ParseResult<J> {
  if (job.op === "derive") return deriveFields(job.kind, job.name, job.files) as ParseResult<J>;
  if (job.op === "fingerprints") return unchangedFolders(job.checks) as ParseResult<J>;
  const out: PageStructure = {};
  if (job.tasks !== undefined) out.tasks = parseTasks(job.tasks);
  if (job.requirements !== undefined) out.requirements = requirementOutline(job.requirements);
  return out as ParseResult<J>;
}

/** Characters a job carries: what decides whether it is worth a worker. */
export function parseJobSize(job: ParseJob): number {
  if (job.op === "fingerprints") return 0; // stats, not text: the caller decides where it runs
  const texts =
    job.op === "derive" ? Object.values(job.files) : [job.tasks ?? "", job.requirements ?? ""];
  return texts.reduce((n, t) => n + t.length, 0);
}
