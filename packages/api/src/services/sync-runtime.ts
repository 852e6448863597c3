import type { Database, ProjectRow } from "@specsync/db";
import type { AddProjectInput } from "@specsync/validators";
import { errorMessage } from "../utils/errors";
import { type FileWatcherOptions, FileWatcherService } from "./file-watcher-service";
import { GitHeadWatcher } from "./git-head-watcher";
import type { HistoryService } from "./history-service";
import type { OpenSpecSyncService } from "./openspec-sync-service";
import type { ProjectsService } from "./projects-service";
import type { SyncEventBus } from "./sync-events";
import { type SchedulerOptions, SyncScheduler } from "./sync-scheduler";

export type RuntimeOptions = {
  watcher?: FileWatcherOptions;
  scheduler?: SchedulerOptions;
  /** Reconcile the whole workspace when the repository's HEAD/index moves (default on). */
  gitWatch?: boolean;
  log?: (msg: string) => void;
};

type Running = {
  project: ProjectRow;
  watcher: FileWatcherService;
  scheduler: SyncScheduler;
  git: GitHeadWatcher | null;
};

/**
 * The live part of specsync: for each project a FileWatcherService and a SyncScheduler, started
 * after a full sync. Owned by the server process; tests and the CLI can use the services without
 * it.
 */
export class SyncRuntime {
  private readonly running = new Map<string, Running>();
  private started = false;

  constructor(
    private readonly deps: {
      database: Database;
      sync: OpenSpecSyncService;
      projects: ProjectsService;
      events: SyncEventBus;
      history: HistoryService;
    },
    private readonly opts: RuntimeOptions = {},
  ) {}

  private log(msg: string) {
    this.opts.log?.(msg);
  }

  /**
   * Full sync of every project (errors recorded, never fatal for the others), then watchers
   * and schedulers.
   */
  async start(projectPaths: readonly string[]): Promise<void> {
    this.started = true;
    await this.deps.events.start();
    for (const p of projectPaths) {
      try {
        const project = await this.deps.sync.ensureProject(p);
        await this.startProject(project);
      } catch (err) {
        this.log(`project ${p}: could not start: ${errorMessage(err)}`);
      }
    }
  }

  private async startProject(project: ProjectRow): Promise<void> {
    if (this.running.has(project.id)) return;
    const t = Date.now();
    const summary = await this.deps.sync.syncProject(project, "startup");
    this.log(
      `project ${project.name}: startup sync of ${summary.total} folders in ${Date.now() - t} ms (${summary.changed} changed, ${summary.failed} failed)`,
    );
    for (const o of summary.outcomes.filter((x) => !x.success))
      this.log(`  ✗ ${o.path}: ${o.error}`);
    const watcher = new FileWatcherService(project, this.deps.sync, {
      ...this.opts.watcher,
      log: this.opts.log,
    });
    const scheduler = new SyncScheduler(project, this.deps.sync, this.deps.database, {
      ...this.opts.scheduler,
      log: this.opts.log,
      onMissedChange: (where) => watcher.reportMissedChange(where),
    });
    const git =
      this.opts.gitWatch === false
        ? null
        : new GitHeadWatcher(
            project.rootPath,
            () =>
              this.deps.sync.syncProject(project, "git", {
                concurrency: this.opts.scheduler?.concurrency,
              }),
            { log: this.opts.log },
          );
    this.running.set(project.id, { project, watcher, scheduler, git });
    await watcher.start();
    scheduler.start();
    git?.start();
  }

  async addProject(input: AddProjectInput): Promise<ProjectRow> {
    const project = await this.deps.projects.add(input);
    if (this.started) await this.startProject(project);
    return project;
  }

  async removeProject(id: string, deleteRows: boolean): Promise<ProjectRow> {
    const r = this.running.get(id);
    if (r) {
      await r.git?.stop();
      await r.scheduler.stop();
      await r.watcher.stop();
      this.running.delete(id);
    }
    return this.deps.projects.remove(id, deleteRows);
  }

  /** Watcher and scheduler state per project, for /healthz and sync.status. */
  state() {
    return [...this.running.values()].map(({ project, watcher, scheduler }) => ({
      projectId: project.id,
      name: project.name,
      rootPath: project.rootPath,
      watcher: {
        state: watcher.state,
        lastEventAt: watcher.lastEventAt,
        lastError: watcher.lastError,
        restarts: watcher.restarts,
      },
      scheduler: scheduler.lastRun,
    }));
  }

  /**
   * Graceful stop: schedulers, then watchers (flushing queued syncs), then every in-flight
   * sync.
   */
  async stop(): Promise<void> {
    for (const { scheduler, git } of this.running.values()) {
      await git?.stop();
      await scheduler.stop();
    }
    this.log("schedulers stopped");
    for (const { watcher } of this.running.values()) await watcher.stop();
    this.log("watchers stopped");
    await this.deps.sync.mutex.idle();
    this.log("in-flight syncs finished");
    await this.deps.events.stop();
    this.running.clear();
    this.started = false;
  }
}
