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
