import {
  type Database,
  eq,
  isNull,
  openspecSpecs,
  projects as projectsTable,
  sql,
  syncChecks,
} from "@specsync/db";
import { SYNC_DEFAULTS } from "@specsync/settings";
import type { ForceSyncInput } from "@specsync/validators";
import { present } from "../utils/present";
import type { HistoryService } from "./history-service";
import type { OpenSpecSyncService, SyncSummary } from "./openspec-sync-service";
import { filesOfRow } from "./spec-files";
import type { SpecsService } from "./specs-service";
import type { SyncRuntime } from "./sync-runtime";

/** Sync status, manual syncs and the conflicts view (what the `sync` router serves). */
export class SyncStatusService {
  constructor(
    private readonly database: Database,
    private readonly sync: OpenSpecSyncService,
    private readonly specs: SpecsService,
    private readonly history: HistoryService,
    private readonly runtime: SyncRuntime,
    private readonly concurrency: number = SYNC_DEFAULTS.concurrency,
    /**
     * A row not synced for this long counts as stale (the TypeScript check and the SQL count
     * agree).
     */
    private readonly staleSeconds: number = SYNC_DEFAULTS.statusStaleSeconds,
  ) {}

  /**
   * One change: last sync, errors, open conflict, pending flushes and each file's three-way
   * state.
   */
  async ofSpec(specId: string) {
    const row = await this.sync.getRow(specId);
    const three = await this.sync
      .detectConflicts(specId)
      .catch((err: Error) => ({ files: [], openConflict: row.conflict, error: err.message }));
    return {
      specId,
      lastSyncedAt: row.lastSyncedAt,
      syncError: row.syncError,
      parseError: row.parseError,
      conflict: row.conflict,
      pendingFiles: row.pendingFiles,
      stale:
        !row.lastSyncedAt || Date.now() - row.lastSyncedAt.getTime() > this.staleSeconds * 1000,
      files: three.files,
    };
  }

  /**
   * Everything: counts of errors/conflicts/pending/stale rows, per-project watcher and
   * scheduler state.
   */
  async overall() {
    const lastSeen = sql`greatest(${openspecSpecs.lastSyncedAt}, ${syncChecks.checkedAt},
      ${projectsTable.checkedAt})`;
    const [totals] = await this.database.db
      .select({
        total: sql<number>`count(*)::int`,
        errors: sql<number>`count(*) filter (where ${openspecSpecs.syncError} is not null)::int`,
        conflicts: sql<number>`count(*) filter (where ${openspecSpecs.conflict} is not null)::int`,
        pending: sql<number>`count(*) filter (where jsonb_array_length(${openspecSpecs.pendingFiles}) > 0)::int`,
        // A row verified unchanged (sync_checks, or its project's full sync) is as fresh as one
        // just synced.
        stale: sql<number>`count(*) filter (where coalesce(${lastSeen}, '-infinity') < now() - make_interval(secs => ${this.staleSeconds}))::int`,
        lastSyncedAt: sql<string | null>`max(${lastSeen})`,
      })
      .from(openspecSpecs)
      .leftJoin(syncChecks, eq(syncChecks.specId, openspecSpecs.id))
      .innerJoin(projectsTable, eq(projectsTable.id, openspecSpecs.projectId))
      .where(isNull(openspecSpecs.deletedAt));
    const recentFailures = await this.history.list({ success: false, limit: 10 });
    return {
      totals: {
        ...present(totals, "the totals row"),
        lastSyncedAt: totals?.lastSyncedAt ? new Date(totals.lastSyncedAt) : null,
      },
      projects: this.runtime.state(),
      recentFailures: recentFailures.items.map(({ previousContent: _p, ...h }) => h),
    };
  }

  /** Sync now, both directions: one change, one project, or every project. */
  async forceSync(
    input: ForceSyncInput,
  ): Promise<Omit<SyncSummary, "outcomes"> & { outcomes: SyncSummary["outcomes"] }> {
    if (input.specId) {
      const started = Date.now();
      const o = await this.sync.syncSpec(input.specId, "manual");
      if (o.action === "noop" && o.success) {
        const row = await this.sync.getRow(input.specId);
        await this.recordChecked({
          specId: row.id,
          projectId: row.projectId,
          name: row.name,
          actor: input.actor,
          durationMs: Date.now() - started,
        });
      }
      return {
        total: 1,
        succeeded: o.success ? 1 : 0,
        failed: o.success ? 0 : 1,
        changed: o.action === "noop" ? 0 : 1,
        outcomes: [o],
      };
    }
    const projects = input.projectId
      ? [await this.sync.getProject(input.projectId)]
      : await this.database.db.select().from(projectsTable);
    const all: SyncSummary = { total: 0, succeeded: 0, failed: 0, changed: 0, outcomes: [] };
    for (const p of projects) {
      const started = Date.now();
      const s = await this.sync.syncProject(p, "manual", { concurrency: this.concurrency });
      // Changed folders have their own history rows; a sync that found nothing would otherwise
      // leave no trace.
      if (s.changed === 0 && s.failed === 0)
        await this.recordChecked({
          specId: null,
          projectId: p.id,
          name: p.name,
          actor: input.actor,
          durationMs: Date.now() - started,
        });
      all.total += s.total;
      all.succeeded += s.succeeded;
      all.failed += s.failed;
      all.changed += s.changed;
      all.outcomes.push(...s.outcomes.filter((o) => o.action !== "noop" || !o.success));
    }
    return all;
  }

  private async recordChecked(entry: {
    specId: string | null;
    projectId: string;
    name: string;
    actor: string | undefined;
    durationMs: number;
  }) {
    await this.history.record({
      ...entry,
      actor: entry.actor ?? null,
      direction: "fs_to_db",
      trigger: "manual",
      action: "checked",
      success: true,
    });
  }

  /**
   * Open conflicts with both versions: the disk version (now in the DB) and the discarded DB
   * version.
   */
  async conflicts(projectId?: string) {
    const rows = await this.specs.conflicts(projectId);
    return Promise.all(
      rows.map(async (r) => {
        const kept = r.conflict?.historyId
          ? await this.history.get(r.conflict.historyId)
          : undefined;
        const full = await this.sync.getRow(r.id);
        const files = filesOfRow(full);
        return {
          ...r,
          versions: (r.conflict?.files ?? []).map((f) => ({
            file: f,
            disk: files[f] ?? null,
            discarded: kept?.previousContent?.[f] ?? null,
          })),
        };
      }),
    );
  }
}
