import { existsSync } from "node:fs";
import path from "node:path";
import {
  and,
  type Database,
  eq,
  isNull,
  openspecSpecs,
  type ProjectRow,
  type SpecRow,
} from "@specsync/db";
import { SPECSYNC_DIR } from "@specsync/settings";
import {
  type ArchiveChangeInput,
  archiveChangeInputSchema,
  type CreateChangeInput,
  createChangeInputSchema,
  newChangeNameSchema,
  type SetStatusInput,
  type ValidateChangeInput,
  type ValidationResult,
  validateChangeInputSchema,
} from "@specsync/validators";
import type { z } from "zod";
import { errorMessage, SpecsyncError } from "../utils/errors";
import { type PidLock, takePidLock } from "../utils/fs/pid-lock";
import { type CliValidationIssue, toFindings } from "../utils/openspec/validation-findings";
import {
  cliFailureMessage,
  locateOpenSpecCli,
  type OpenSpecCli,
  OpenSpecCliError,
  type OpenSpecRun,
  parseCliJson,
  runOpenSpec,
} from "../utils/openspec-cli";
import { type ClaimsService, forcedNote } from "./claims-service";
import type { ArchivePreview } from "./delta-preview";
import type { HistoryService } from "./history-service";
import type { OpenSpecSyncService } from "./openspec-sync-service";
import { ParsePool, PoolTimeoutError } from "./parse-pool";
import type { ProjectsService } from "./projects-service";
import { filesOfRow } from "./spec-files";
import type { SpecsService } from "./specs-service";
import type { EditRow } from "./sync/types";
import type { SyncEventBus } from "./sync-events";

/**
 * A validation takes tens of ms (the first one loads the CLI: a second or two); one running longer
 * is likely stuck on a crafted name, so the next one waiting gets a spare worker, up to this many
 * in all (each spare costs the CLI's modules loaded again, ~1 s of CPU).
 */
const VALIDATE_SPARE_AFTER_MS = 2000;
const VALIDATE_WORKERS_MAX = 3;

/**
 * Service inputs are checked again here (the CLI and MCP call the service directly): a clear
 * message, not zod's JSON.
 */
function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success)
    throw new SpecsyncError(
      "BAD_REQUEST",
      r.error.issues
        .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
        .join("; "),
    );
  return r.data;
}

export type LifecycleOptions = {
  /** Longest a CLI run may take before it is killed (SPECSYNC_OPENSPEC_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Quiet time after a save before the change is validated again. */
  validateDebounceMs?: number;
  /** Where the OpenSpec CLI is installed (default: the dependency of @specsync/api). */
  cliPackageDir?: string;
  log?: (msg: string) => void;
};

export type CreatedChange = { id: string; name: string; path: string; projectId: string };
export type ArchiveOutcome = {
  id: string;
  name: string;
  archivedAs: string;
  path: string;
  specsUpdated: boolean;
  totals: Record<string, number> | null;
  message: string;
};

type CliArchiveJson = {
  archive?: {
    archivedAs: string;
    path: string;
    specsUpdated: boolean;
    totals?: Record<string, number>;
  } | null;
};

/** Where a change's archive is claimed across processes: beside server.json, never in openspec/. */
const archiveLockPath = (rootPath: string, name: string) =>
  path.join(rootPath, SPECSYNC_DIR, `archive-${encodeURIComponent(name)}.lock`);

/**
 * Carrying a change through its life with the real OpenSpec CLI: new, validate, archive (and the
 * preview of what archive does to the main specs). The CLI writes the files; the watcher and
 * explicit syncs bring the result into the database; every action is recorded in history with its
 * actor. Knows nothing of tRPC or MCP: routers and tools call these methods.
 */
export class LifecycleService {
  private cli: OpenSpecCli | null = null;
  private readonly archiving = new Set<string>();
  private readonly validateTimers = new Map<string, NodeJS.Timeout>();
  private readonly validating = new Map<string, Promise<unknown>>();
  private validatePool: ParsePool | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly deps: {
      database: Database;
      sync: OpenSpecSyncService;
      specs: SpecsService;
      projects: ProjectsService;
      history: HistoryService;
      events: SyncEventBus;
      claims: ClaimsService;
    },
    private readonly opts: LifecycleOptions = {},
  ) {}

  private get db() {
    return this.deps.database.db;
  }

  private get timeoutMs() {
    return this.opts.timeoutMs ?? 60_000;
  }

  /**
   * The CLI's validator runs on its own worker thread, never on the event loop: a crafted file
   * can make its regexes slow (seconds on a padded requirement header), and the worker is
   * terminated at the time limit. One worker, so validations never starve the parse pool; a
   * validation that waits behind one running for VALIDATE_SPARE_AFTER_MS gets a spare worker: a
   * name the validator is quadratic on (blanks inside it) holds one worker up to the limit, not
   * every other change's validation with it.
   */
  private runValidator(changeDir: string, openspecDir: string, project: ProjectRow, name: string) {
    const job = {
      op: "validate" as const,
      cli: this.openspecCli(),
      changeDir,
      mainSpecsDir: path.join(openspecDir, "specs"),
      projectRoot: project.rootPath,
    };
    return this.onWorker(this.workerPool().run(job), `openspec validate ${name}`);
  }

  private workerPool(): ParsePool {
    this.validatePool ??= new ParsePool({
      size: 1,
      timeoutMs: this.timeoutMs,
      what: "validation",
      spare: { afterMs: VALIDATE_SPARE_AFTER_MS, max: VALIDATE_WORKERS_MAX },
    });
    return this.validatePool;
  }

  /** A job past the time limit becomes the CLI's timeout error. */
  private onWorker<T>(work: Promise<T>, what: string): Promise<T> {
    return work.catch((err) => {
      if (!(err instanceof PoolTimeoutError)) throw err;
      throw new OpenSpecCliError(
        "timeout",
        `${what} did not finish within ${err.timeoutMs} ms and was stopped`,
        { timeoutMs: err.timeoutMs },
      );
    });
  }

  /**
   * The CLI, located and version-checked once (throws a clear OpenSpecCliError when missing or
   * unsupported).
   */
  openspecCli(): OpenSpecCli {
    this.cli ??= locateOpenSpecCli(this.opts.cliPackageDir);
    return this.cli;
  }

  /**
   * Checked at server start: a description of the CLI, or why lifecycle actions will be
   * refused.
   */
  checkCli(): { ok: true; version: string; bin: string } | { ok: false; error: string } {
    try {
      const cli = this.openspecCli();
      return { ok: true, version: cli.version, bin: cli.bin };
    } catch (err) {
      return { ok: false, error: errorMessage(err) };
    }
  }

  private run(project: ProjectRow, args: string[]): Promise<OpenSpecRun> {
    return runOpenSpec(this.openspecCli(), args, {
      cwd: project.rootPath,
      timeoutMs: this.timeoutMs,
    });
  }

  private async activeChange(id: string): Promise<EditRow> {
    const row = await this.deps.sync.getRow(id);
    if (row.kind !== "change")
      throw new SpecsyncError("BAD_REQUEST", `${row.name} is a spec, not a change`);
    if (row.archived)
      throw new SpecsyncError("BAD_REQUEST", `${row.name} is already archived (${row.path})`);
    return row;
  }

  private async record(
    row: Pick<SpecRow, "id" | "projectId" | "name"> | { id: null; projectId: string; name: string },
    entry: {
      action: "created" | "validated" | "archived" | "failed";
      success: boolean;
      error?: string | null;
      note?: string;
      files?: string[];
      actor?: string | null;
      started: number;
    },
  ) {
    const h = await this.deps.history.record({
      specId: row.id,
      projectId: row.projectId,
      name: row.name,
      direction: entry.action === "validated" ? "fs_to_db" : "db_to_fs",
      trigger: "lifecycle",
      action: entry.action,
      success: entry.success,
      error: entry.error ?? null,
      note: entry.note ?? null,
      filesChanged: entry.files ?? [],
      actor: entry.actor ?? null,
      durationMs: Math.round(performance.now() - entry.started),
    });
    return h.id;
  }

  /**
   * The row id of an active change by name (CLI verbs, MCP tools): its folder is synced first, so a
   * change created on disk a moment ago is found. The first project when none is given.
   */
  async resolveChange(input: { projectId?: string; name: string }): Promise<string> {
    const project = input.projectId
      ? await this.deps.sync.getProject(input.projectId)
      : (await this.deps.projects.list())[0];
    if (!project) throw new SpecsyncError("BAD_REQUEST", "no project configured");
    const name = parse(newChangeNameSchema, input.name);
    const outcome = await this.deps.sync.syncFolder(project, `changes/${name}`, "lifecycle");
    if (!outcome.specId || outcome.action === "deleted")
      throw new SpecsyncError("NOT_FOUND", `no active change named ${name} in ${project.rootPath}`);
    return outcome.specId;
  }

  // ------------------------------------------------------------------ new

  /**
   * `openspec new change <name> [--goal …]`, then the folder is imported at once (the watcher
   * would too).
   */
  async create(input: CreateChangeInput): Promise<CreatedChange> {
    const q = parse(createChangeInputSchema, input);
    const started = performance.now();
    const project = q.projectId
      ? await this.deps.sync.getProject(q.projectId)
      : (await this.deps.projects.list())[0];
    if (!project)
      throw new SpecsyncError(
        "BAD_REQUEST",
        "no project to create the change in; add a project first",
      );
    const rel = `changes/${q.name}`;
    if (
      existsSync(path.join(this.deps.sync.openspecDir(project), rel)) ||
      existsSync(path.join(this.deps.sync.openspecDir(project), "changes", "archive", q.name))
    ) {
      throw new SpecsyncError("CONFLICT", `a change named ${q.name} already exists`);
    }
    const args = ["new", "change", q.name, "--json", ...(q.goal ? ["--goal", q.goal] : [])];
    let result: OpenSpecRun;
    try {
      result = await this.run(project, args);
    } catch (err) {
      await this.record(
        { id: null, projectId: project.id, name: q.name },
        {
          action: "failed",
          success: false,
          error: `new change: ${errorMessage(err)}`,
          actor: q.actor,
          started,
        },
      );
      throw err;
    }
    const outcome = await this.deps.sync.syncFolder(project, rel, "lifecycle");
    if (result.code !== 0 || !outcome.specId) {
      const message =
        result.code !== 0
          ? cliFailureMessage(result)
          : `openspec created no folder at openspec/${rel}`;
      await this.record(
        { id: outcome.specId, projectId: project.id, name: q.name },
        {
          action: "failed",
          success: false,
          error: `new change: ${message}`,
          actor: q.actor,
          started,
        },
      );
      throw new SpecsyncError("BAD_REQUEST", message);
    }
    await this.record(
      { id: outcome.specId, projectId: project.id, name: q.name },
      {
        action: "created",
        success: true,
        files: outcome.filesChanged,
        note: `openspec new change ${q.name}${q.goal ? ` (goal: ${q.goal})` : ""}`,
        actor: q.actor,
        started,
      },
    );
    return { id: outcome.specId, name: q.name, path: rel, projectId: project.id };
  }

  // ------------------------------------------------------------------ validate

  /**
   * `openspec validate <id> --strict` (its validator, on a worker thread); the findings are
   * stored on the row and, unless `record: false`, in history.
   */
  async validate(
    input: ValidateChangeInput,
    opts: { record?: boolean } = {},
  ): Promise<ValidationResult> {
    const q = parse(validateChangeInputSchema, input);
    const started = performance.now();
    const row = await this.activeChange(q.id);
    const project = await this.deps.sync.getProject(row.projectId);
    let result: ValidationResult;
    try {
      // The CLI's own validator (what `openspec validate <id> --strict` calls), on a worker: the
      // same issues its --json prints (a differential test holds them equal), without starting Node
      // for every save.
      const t = performance.now();
      const openspecDir = this.deps.sync.openspecDir(project);
      const changeDir = path.join(openspecDir, row.path);
      const report = await this.runValidator(changeDir, openspecDir, project, row.name);
      const durationMs = Math.round(performance.now() - t);
      // Lines are placed in the files as the database holds them now (the CLI read the same files).
      const current = await this.deps.sync.getRow(row.id);
      const issues = report.issues as CliValidationIssue[];
      result = {
        valid: report.valid,
        // Exact, though only the first findings of each level are kept (validate-job.ts).
        errors: report.counts.errors,
        warnings: report.counts.warnings,
        findings: toFindings(issues, filesOfRow(current)),
        ...(report.notShown ? { notShown: report.notShown } : {}),
        validatedAt: new Date().toISOString(),
        durationMs,
        contentHashes: current.contentHashes,
      };
    } catch (err) {
      if (opts.record !== false)
        await this.record(row, {
          action: "failed",
          success: false,
          error: `validate: ${errorMessage(err)}`,
          actor: q.actor,
          started,
        });
      throw err;
    }
    await this.db
      .update(openspecSpecs)
      .set({ validation: result })
      .where(eq(openspecSpecs.id, row.id));
    if (opts.record !== false) {
      const summary = result.valid
        ? `valid${result.warnings ? ` (${result.warnings} warnings)` : ""}`
        : `${result.errors} errors, ${result.warnings} warnings`;
      // The validation ran: a change with findings is not a failed action (its findings are on the
      // row).
      await this.record(row, {
        action: "validated",
        success: true,
        note: `openspec validate --strict: ${summary}`,
        actor: q.actor,
        started,
      });
    }
    this.deps.events.publish({
      type: "spec_changed",
      projectId: row.projectId,
      specId: row.id,
      name: row.name,
    });
    return result;
  }

  /**
   * Validate again after every save made through specsync, debounced per change. It listens for the
   * event a save publishes once its flush is done, so the save itself never waits for the CLI.
   */
  startAutoValidate(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.deps.events.subscribe((event) => {
      if (event.type !== "spec_changed" || event.direction !== "db_to_fs" || !event.specId) return;
      this.scheduleValidate(event.specId);
    });
  }

  stopAutoValidate(): void {
    // Its worker is unref'd while idle; a running validation is left to finish or time out.
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const t of this.validateTimers.values()) clearTimeout(t);
    this.validateTimers.clear();
  }

  /** Resolves once every scheduled or running validation has finished (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.validateTimers.size || this.validating.size) {
      await Promise.allSettled([
        ...this.validating.values(),
        new Promise((r) => setTimeout(r, 20)),
      ]);
    }
  }

  scheduleValidate(specId: string): void {
    clearTimeout(this.validateTimers.get(specId));
    this.validateTimers.set(
      specId,
      setTimeout(() => {
        this.validateTimers.delete(specId);
        // One run per change at a time; a save during a run schedules the next one.
        const previous = this.validating.get(specId) ?? Promise.resolve();
        const next = previous
          .then(async () => {
            const row = await this.deps.sync.getRow(specId).catch(() => null);
            if (!row || row.kind !== "change" || row.archived || this.archiving.has(specId)) return;
            await this.validate({ id: specId }, { record: false });
          })
          .catch((err) => this.opts.log?.(`validation after save failed: ${errorMessage(err)}`))
          .finally(() => {
            if (this.validating.get(specId) === next) this.validating.delete(specId);
          });
        this.validating.set(specId, next);
      }, this.opts.validateDebounceMs ?? 300),
    );
  }

  // ------------------------------------------------------------------ archive

  /**
   * What archive would write to each main spec, requirement by requirement (nothing is
   * written).
   */
  async preview(id: string): Promise<ArchivePreview> {
    const row = await this.activeChange(id);
    const project = await this.deps.sync.getProject(row.projectId);
    const job = {
      op: "preview" as const,
      cli: this.openspecCli(),
      openspecDir: this.deps.sync.openspecDir(project),
      changeRelPath: row.path,
      changeName: row.name,
    };
    try {
      // On the validation worker: the CLI's requirement parser has the same slow rules.
      return await this.onWorker(this.workerPool().run(job), `the archive preview of ${row.name}`);
    } catch (err) {
      if (err instanceof OpenSpecCliError) throw err;
      throw new SpecsyncError(
        "BAD_REQUEST",
        `cannot preview the archive of ${row.name}: ${errorMessage(err)}`,
      );
    }
  }

  /**
   * `openspec archive <id> --yes [--skip-specs]`. The CLI validates and writes everything or
   * nothing; we then sync the moved folder (same row, now archived) and the main specs it touched,
   * so the database shows the files as the CLI left them whatever happened. One archive per change
   * at a time.
   */
  async archive(input: ArchiveChangeInput): Promise<ArchiveOutcome> {
    const q = parse(archiveChangeInputSchema, input);
    const started = performance.now();
    const first = await this.activeChange(q.id);
    const busy = (by: string) =>
      new SpecsyncError(
        "CONFLICT",
        `${first.name} is being archived by another request${by}; this one changed nothing`,
      );
    if (this.archiving.has(first.id)) throw busy("");
    this.archiving.add(first.id);
    let lock: PidLock | null = null;
    try {
      const project = await this.deps.sync.getProject(first.projectId);
      // Other specsync processes on this repository (a server, a stdio `specsync mcp`) archive too.
      lock = takePidLock(archiveLockPath(project.rootPath, first.name));
      if ("heldBy" in lock) throw busy(` (pid ${lock.heldBy})`);
      // One that finished before we took the lock has synced the move: "already archived (…)".
      const row = await this.activeChange(first.id);
      // Someone else's claim: refused unless forced (ended after the archive, see endClaim).
      // A force carries whose claim it ends (expectedOwner): checked here, not by the client.
      await this.deps.claims.checkArchivable(row, q.owner ?? q.actor, q.force, q.expectedOwner);
      return await this.archiveLocked(project, row, q, started);
    } finally {
      if (lock && "release" in lock) lock.release();
      this.archiving.delete(first.id);
    }
  }

  private async archiveLocked(
    project: ProjectRow,
    row: EditRow,
    q: z.infer<typeof archiveChangeInputSchema>,
    started: number,
  ): Promise<ArchiveOutcome> {
    const capabilities = Object.keys(row.deltaSpecs ?? {});
    let run: OpenSpecRun | null = null;
    let failure: unknown = null;
    try {
      run = await this.run(project, [
        "archive",
        row.name,
        "--yes",
        "--json",
        ...(q.skipSpecs ? ["--skip-specs"] : []),
      ]);
    } catch (err) {
      failure = err;
    }
    // Whatever happened (even a timeout), the database now follows the files as they are.
    await this.deps.sync.syncFolder(project, row.path, "lifecycle");
    for (const cap of capabilities)
      await this.deps.sync.syncFolder(project, `specs/${cap}`, "lifecycle");
    const json = run ? parseCliJson<CliArchiveJson>(run.stdout) : null;
    const archive = run?.code === 0 ? json?.archive : undefined;
    if (!run || !archive) {
      const message = failure || !run ? errorMessage(failure) : cliFailureMessage(run);
      await this.record(row, {
        action: "failed",
        success: false,
        error: `archive: ${message}`,
        actor: q.actor,
        started,
      });
      if (failure) throw failure;
      throw new OpenSpecCliError("failed", message);
    }
    const files = archive.specsUpdated ? capabilities.map((c) => `specs/${c}/spec.md`) : [];
    await this.db
      .update(openspecSpecs)
      .set({ statusChangedBy: q.actor ?? "anonymous", statusChangedAt: new Date() })
      .where(
        and(
          eq(openspecSpecs.id, row.id),
          eq(openspecSpecs.status, "archived"),
          isNull(openspecSpecs.deletedAt),
        ),
      );
    const ended = await this.endClaim(row, q);
    const skipped = q.skipSpecs ? " (--skip-specs)" : "";
    await this.record(row, {
      action: "archived",
      success: true,
      files,
      note: `openspec archive: ${archive.archivedAs}${skipped}${ended}`,
      actor: q.actor,
      started,
    });
    this.deps.events.publish({
      type: "spec_changed",
      projectId: row.projectId,
      specId: row.id,
      name: row.name,
    });
    const totals = archive.totals ?? null;
    return {
      id: row.id,
      name: row.name,
      archivedAs: archive.archivedAs,
      path: `changes/archive/${archive.archivedAs}`,
      specsUpdated: archive.specsUpdated,
      totals,
      message: `archived as changes/archive/${archive.archivedAs}${archive.specsUpdated && totals ? ` (${totals.added ?? 0} added, ${totals.modified ?? 0} modified, ${totals.removed ?? 0} removed, ${totals.renamed ?? 0} renamed)` : q.skipSpecs ? " (specs not updated)" : ""}`,
    };
  }

  /**
   * An archived change has nothing left to work on: its claim ends (a claim taken while the CLI
   * ran too), in claim history; the archive's note in history says whose claim it ended.
   */
  private async endClaim(
    row: Pick<SpecRow, "id" | "projectId" | "name">,
    q: z.infer<typeof archiveChangeInputSchema>,
  ): Promise<string> {
    const by = q.owner ?? q.actor ?? "anonymous";
    const claim = await this.deps.claims.endForArchive(row, by, q.force, q.expectedOwner);
    if (!claim) return "";
    const how = forcedNote({ ...claim, live: true }, by, q.force, q.expectedOwner);
    return `; ended the claim of ${claim.owner}${how}`;
  }

  // ------------------------------------------------------------------ status

  /** A status change; choosing "archived" runs the archive (it is never set by hand). */
  async setStatus(input: SetStatusInput) {
    if (input.status === "archived") {
      await this.archive({ id: input.id, actor: input.actor });
      // Handed out: the archived change's `parsed` is derived (it is not stored).
      return this.deps.sync.getRowWithParsed(input.id);
    }
    return this.deps.specs.setStatus(input);
  }
}
