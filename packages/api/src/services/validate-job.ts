import { promises as fsp } from "node:fs";
import path from "node:path";
import { shortenHeaderTails } from "../utils/openspec/header-tail-runs";
import type { OpenSpecCli } from "../utils/openspec-cli";
import { type ArchiveRules, loadArchiveRules } from "../utils/openspec-internals";
import { type ArchivePreview, previewArchive } from "./delta-preview";

/**
 * `openspec validate <change> --strict` as a worker job: the CLI's validator runs regexes that a
 * crafted file can make slow, so it runs on a worker thread (a pool with a time limit) and never
 * on the server's event loop.
 */
export type ValidateJob = {
  op: "validate";
  cli: OpenSpecCli;
  changeDir: string;
  mainSpecsDir: string;
  projectRoot: string;
};
export type ValidateReport = Awaited<ReturnType<ArchiveRules["validateChange"]>>;

/**
 * Findings kept of each level. A crafted change can make the validator report 150,000 (15 MB):
 * posting, storing and sending them all held the event loop for seconds (PGlite runs on it too),
 * and nobody reads past the first screens. The counts stay exact.
 */
export const FINDINGS_KEPT_PER_LEVEL = 200;

type Issue = ValidateReport["issues"][number];
/** The validator's report as the worker posts it: the first findings of each level, exact counts. */
export type CappedReport = {
  valid: boolean;
  issues: Issue[];
  counts: { errors: number; warnings: number };
  /** Findings left out (beyond `FINDINGS_KEPT_PER_LEVEL` of their level). */
  notShown: number;
};

/** Keep the first `perLevel` issues of each level, in their order; count them all. */
export function capReport(
  report: ValidateReport,
  perLevel = FINDINGS_KEPT_PER_LEVEL,
): CappedReport {
  const seen = new Map<string, number>();
  const issues: Issue[] = [];
  for (const issue of report.issues) {
    const n = seen.get(issue.level) ?? 0;
    seen.set(issue.level, n + 1);
    if (n < perLevel) issues.push(issue);
  }
  return {
    valid: report.valid,
    issues,
    counts: { errors: seen.get("ERROR") ?? 0, warnings: seen.get("WARNING") ?? 0 },
    notShown: report.issues.length - issues.length,
  };
}
/** The archive preview: the CLI's requirement-block parser, with the same slow rules. */
export type PreviewJob = {
  op: "preview";
  cli: OpenSpecCli;
  openspecDir: string;
  changeRelPath: string;
  changeName: string;
};

type ReadFile = (file: unknown, opts?: unknown) => Promise<string | Buffer>;

/**
 * The validator reads delta and main specs with `fs.promises.readFile`; on this worker, for the
 * job's length, the spec files it reads come with their header tails shortened
 * (`header-tail-runs.ts`: no finding changes). Jobs on a worker run one at a time.
 */
async function withShortHeaderTails<T>(dirs: string[], work: () => Promise<T>): Promise<T> {
  const original = fsp.readFile as unknown as ReadFile;
  const ours = (file: string) =>
    file.endsWith(".md") && dirs.some((d) => file.startsWith(d + path.sep));
  const patched: ReadFile = async (file, opts) => {
    const content = await original(file, opts);
    return typeof file === "string" && typeof content === "string" && ours(path.resolve(file))
      ? shortenHeaderTails(content)
      : content;
  };
  (fsp as { readFile: unknown }).readFile = patched;
  try {
    return await work();
  } finally {
    (fsp as { readFile: unknown }).readFile = original;
  }
}

export async function runValidateJob(job: ValidateJob): Promise<ValidateReport> {
  const rules = await loadArchiveRules(job.cli);
  const dirs = [path.resolve(job.changeDir), path.resolve(job.mainSpecsDir)];
  return withShortHeaderTails(dirs, () =>
    rules.validateChange(job.changeDir, {
      mainSpecsDir: job.mainSpecsDir,
      projectRoot: job.projectRoot,
    }),
  );
}

export async function runPreviewJob(job: PreviewJob): Promise<ArchivePreview> {
  const rules = await loadArchiveRules(job.cli);
  return previewArchive(rules, job.openspecDir, job.changeRelPath, job.changeName);
}
