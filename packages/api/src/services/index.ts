import type { Database } from "@specsync/db";
import { SYNC_DEFAULTS } from "@specsync/settings";
import type { AtomicWriteHooks } from "../utils/fs/atomic-write";
import { ChangeLookup } from "./change-lookup";
import { ClaimsService } from "./claims-service";
import { DependenciesService } from "./dependencies-service";
import { FileEditService } from "./file-edit-service";
import { HistoryService } from "./history-service";
import { type LifecycleOptions, LifecycleService } from "./lifecycle-service";
import { CliOutputService } from "./openspec-output";
import { OpenSpecSyncService } from "./openspec-sync-service";
import { OverlapsService } from "./overlaps";
import { ProjectsService } from "./projects-service";
import { SpecsService } from "./specs-service";
import { SyncEventBus } from "./sync-events";
import { type RuntimeOptions, SyncRuntime } from "./sync-runtime";
import { SyncStatusService } from "./sync-status-service";
import { WorkQueueService } from "./work-queue-service";

export type ServicesOptions = RuntimeOptions & {
  allowedRoots?: readonly string[];
  writeHooks?: AtomicWriteHooks;
  /** Concurrency of manual project syncs. */
  concurrency?: number;
  /** The OpenSpec CLI runs (new, validate, archive). */
  lifecycle?: LifecycleOptions;
  /** A row not synced for this long counts as stale in the sync status. */
  statusStaleSeconds?: number;
};

/** Every service, wired to one database. Routers, the server and the CLI all start here. */
export function createServices(database: Database, options: ServicesOptions = {}) {
  const history = new HistoryService(database);
  const events = new SyncEventBus(database);
  const sync = new OpenSpecSyncService({
    database,
    history,
    events,
    writeHooks: options.writeHooks,
    log: options.log,
  });
  const edits = new FileEditService(sync, history, events);
  const specs = new SpecsService(database, sync, events, edits);
  const allowedRoots = options.allowedRoots?.length ? options.allowedRoots : [process.cwd()];
  const projects = new ProjectsService(database, sync, allowedRoots);
  const runtime = new SyncRuntime({ database, sync, projects, events, history }, options);
  const status = new SyncStatusService(
    database,
    sync,
    specs,
    history,
    runtime,
    options.concurrency ?? SYNC_DEFAULTS.concurrency,
    options.statusStaleSeconds ?? SYNC_DEFAULTS.statusStaleSeconds,
  );
  const claims = new ClaimsService(database, events);
  const lifecycle = new LifecycleService(
    { database, sync, specs, projects, history, events, claims },
    { log: options.log, ...options.lifecycle },
  );
  /** `openspec list/show --json`, byte for byte, from the database (the CLI and GET /cli/v1/…). */
  const cliOutput = new CliOutputService(database);
  const dependencies = new DependenciesService(database, events);
  const overlaps = new OverlapsService(database);
  const workQueue = new WorkQueueService(database, claims, overlaps, events);
  const changes = new ChangeLookup(database);
  return {
    database,
    history,
    events,
    sync,
    edits,
    specs,
    projects,
    runtime,
    status,
    lifecycle,
    cliOutput,
    claims,
    dependencies,
    overlaps,
    workQueue,
    changes,
  };
}

export type Services = ReturnType<typeof createServices>;

export type { Claim, ClaimResult } from "./claims-service";
export type { ArchivePreview, RequirementChange, SpecPreview } from "./delta-preview";
export type { Dependencies, DependencyLink } from "./dependencies-service";
export type { MergePreview, SaveOutcome, SaveResult } from "./file-edit-service";
export type { WatcherState } from "./file-watcher-service";
export { FileWatcherService, isIgnoredName } from "./file-watcher-service";
export type { ArchiveOutcome, CreatedChange, LifecycleOptions } from "./lifecycle-service";
export type { FileState, FileStatus, SyncOutcome, SyncSummary } from "./openspec-sync-service";
export type { Overlap } from "./overlaps";
export {
  deriveFieldsOffThread,
  PARSE_INLINE_MAX,
  PARSE_TIMEOUT_MS,
  ParsePool,
  parseOffThread,
  sharedParsePool,
} from "./parse-pool";
export type { SpecListItem } from "./specs-service";
export type { PublishedEvent } from "./sync-events";
export { SyncScheduler } from "./sync-scheduler";
export { FINDINGS_KEPT_PER_LEVEL, runValidateJob } from "./validate-job";
export type { NextWork, WorkItem } from "./work-queue-service";
export {
  CliOutputService,
  FileEditService,
  HistoryService,
  LifecycleService,
  OpenSpecSyncService,
  ProjectsService,
  SpecsService,
  SyncEventBus,
  SyncRuntime,
  SyncStatusService,
};
