import type { Database, ProjectRow } from "@specsync/db";
import { SYNC_DEFAULTS } from "@specsync/settings";
import cron, { type ScheduledTask } from "node-cron";
import { errorMessage } from "../utils/errors";
import type { OpenSpecSyncService, SyncSummary } from "./openspec-sync-service";

export type SchedulerOptions = {
  /** node-cron expression (seconds field supported). */
  cron?: string;
  /** Rows not synced for this long are due. */
  staleSeconds?: number;
  batchSize?: number;
  concurrency?: number;
  log?: (msg: string) => void;
  /** The scheduler found a change to an active folder that the watcher did not report. */
  onMissedChange?: (path: string) => void;
};

export type SchedulerRun = {
  ran: boolean;
  batches: number;
  summary: Pick<SyncSummary, "total" | "changed" | "failed">;
  ms: number;
};

/**
 * Periodic batch reconcile of one project: every row not synced recently (archived and inactive
 * changes mostly, since the watcher keeps active ones fresh), plus folders the watcher missed and
 * rows whose folders are gone. One runner per project across servers (advisory lock).
 */
export class SyncScheduler {
  lastRun: (SchedulerRun & { at: Date }) | null = null;
  private task: ScheduledTask | null = null;
  private running: Promise<SchedulerRun> | null = null;

  constructor(
    private readonly project: ProjectRow,
    private readonly sync: OpenSpecSyncService,
    private readonly database: Database,
    private readonly opts: SchedulerOptions = {},
  ) {}

  start(): void {
    if (this.task) return;
    this.task = cron.schedule(this.opts.cron ?? SYNC_DEFAULTS.cron, () => void this.runOnce(), {
      noOverlap: true,
      name: `specsync-${this.project.id}`,
    });
  }

  async stop(): Promise<void> {
    await this.task?.destroy();
    this.task = null;
    await this.running?.catch(() => {});
  }

  /** One reconcile pass; concurrent calls share the pass in progress. */
  runOnce(): Promise<SchedulerRun> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<SchedulerRun> {
    const started = Date.now();
    const batchSize = this.opts.batchSize ?? SYNC_DEFAULTS.batchSize;
    const concurrency = this.opts.concurrency ?? SYNC_DEFAULTS.concurrency;
    try {
      const locked = await this.database.tryWithLock(
        `specsync:batch:${this.project.id}`,
        async () => {
          let batches = 0;
          const totals = { total: 0, changed: 0, failed: 0 };
          const add = (s: SyncSummary) => {
            totals.total += s.total;
            totals.changed += s.changed;
            totals.failed += s.failed;
            for (const o of s.outcomes) {
              // An active change with disk edits the watcher never reported: it has gone deaf.
              if (
                o.action !== "noop" &&
                o.path.startsWith("changes/") &&
                !o.path.startsWith("changes/archive/") &&
                o.filesChanged.length
              )
                this.opts.onMissedChange?.(o.path);
            }
          };
          // 1. New folders and vanished rows the watcher missed (cheap: a directory scan).
          add(await this.sync.discover(this.project, "periodic", concurrency));
          // 2. Stale rows, a batch at a time, until none is left (each sync bumps lastSyncedAt).
          // Due = not synced for staleSeconds, less the time the previous pass took plus a second of
          // timer jitter: a row checked during the pass at T is then due at T + period, not T + 2
          // periods (with staleSeconds equal to the period it was always a few ms short of stale).
          const slackMs = (this.lastRun?.ms ?? 0) + 1000;
          const cutoff = new Date(
            Date.now() - (this.opts.staleSeconds ?? SYNC_DEFAULTS.staleSeconds) * 1000 + slackMs,
          );
          const seen = new Set<string>();
          for (;;) {
            const rows = (await this.sync.staleRows(this.project.id, cutoff, batchSize)).filter(
              (r) => !seen.has(r.id),
            );
            if (rows.length === 0) break;
            for (const r of rows) seen.add(r.id);
            batches++;
            add(await this.sync.syncRows(this.project, rows, "periodic", concurrency));
          }
          return { batches, totals };
        },
      );
      const run: SchedulerRun = locked.ran
        ? {
            ran: true,
            batches: locked.value.batches,
            summary: locked.value.totals,
            ms: Date.now() - started,
          }
        : {
            ran: false,
            batches: 0,
            summary: { total: 0, changed: 0, failed: 0 },
            ms: Date.now() - started,
          };
      this.lastRun = { ...run, at: new Date() };
      if (run.summary.changed || run.summary.failed) {
        this.opts.log?.(
          `scheduler ${this.project.name}: ${run.summary.total} checked in ${run.batches} batches, ${run.summary.changed} changed, ${run.summary.failed} failed, ${run.ms} ms`,
        );
      }
      return run;
    } catch (err) {
      this.opts.log?.(`scheduler ${this.project.name}: pass failed: ${errorMessage(err)}`);
      const run: SchedulerRun = {
        ran: false,
        batches: 0,
        summary: { total: 0, changed: 0, failed: 1 },
        ms: Date.now() - started,
      };
      this.lastRun = { ...run, at: new Date() };
      return run;
    }
  }
}
