import { type FSWatcher as DirWatcher, watch as watchDir } from "node:fs";
import path from "node:path";
import type { ProjectRow } from "@specsync/db";
import { SYNC_DEFAULTS } from "@specsync/settings";
import { type FSWatcher, watch } from "chokidar";
import { errorMessage } from "../utils/errors";
import { TEMP_FILE_PATTERN } from "../utils/fs/atomic-write";
import { CHANGE_FILES, SPEC_FILE } from "../utils/fs/scan-workspace";
import type { OpenSpecSyncService, SyncOutcome } from "./openspec-sync-service";
import { settleFingerprint } from "./sync/disk";

export type WatcherState =
  | "starting"
  | "watching"
  | "polling"
  | "restarting"
  | "stopped"
  | "failed";

export type FileWatcherOptions = {
  /** Quiet time after the last event of a folder before it is synced (trailing debounce). */
  debounceMs?: number;
  /**
   * Force polling (network filesystems); also the automatic fallback when the OS refuses
   * watches.
   */
  usePolling?: boolean;
  log?: (msg: string) => void;
  /** Called after each sync the watcher triggers (tests and benchmarks observe latency here). */
  onSynced?: (outcome: SyncOutcome) => void;
};

const CHOKIDAR_THROTTLE_MS = 50;
/**
 * What the watcher runs after a debounce: sync one change/spec folder, sync the capabilities under
 * a `specs/…` prefix (a spec tree moved), or check the listing (folders without rows and the reverse).
 */
type Job =
  | { kind: "folder"; folder: string }
  | { kind: "specs"; prefix: string }
  | { kind: "discover" };
const DISCOVER: Job = { kind: "discover" };
/** The listing check's debounce: structure changes come in bursts. */
const DISCOVER_DEBOUNCE_MS = 100;

/** Jobs with the same key are one job: debounced, retried and re-checked together. */
function jobKey(job: Job): string {
  if (job.kind === "folder") return job.folder;
  return job.kind === "specs" ? `prefix:${job.prefix}` : "discover";
}

const TRACKED_NAMES = new Set<string>([...CHANGE_FILES, SPEC_FILE]);

/** Editor and CLI transients that never deserve a sync. */
export function isIgnoredName(name: string): boolean {
  return (
    name === ".openspec-archive.lock" ||
    name.startsWith(".openspec-move-") ||
    name === "node_modules" ||
    /\.(swp|swx|swo|tmp|bak)$/.test(name) ||
    name.endsWith("~") ||
    name.startsWith(".#") ||
    name === "4913" || // vim's writability probe
    TEMP_FILE_PATTERN.test(name) ||
    (name.startsWith(".") && name !== ".openspec.yaml")
  );
}

/**
 * Watches one project's `openspec/changes` and `openspec/specs` and syncs a folder shortly after
 * its files stop changing. Restarts itself with exponential backoff on errors, and falls back to
 * polling when the OS refuses more watches.
 */
export class FileWatcherService {
  state: WatcherState = "stopped";
  lastEventAt: Date | null = null;
  lastError: string | null = null;
  restarts = 0;
  private watcher: FSWatcher | null = null;
  /**
   * A single non-recursive watch on `changes/archive`: folders arriving and leaving (see
   * `ignored`).
   */
  private archiveWatch: DirWatcher | null = null;
  private readonly timers = new Map<string, { job: Job; timer: NodeJS.Timeout }>();
  private readonly inflight = new Set<Promise<unknown>>();
  private polling: boolean;
  private backoffMs = 250;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly verifiers = new Set<NodeJS.Timeout>();
  private readonly retryDelays = new Map<string, number>();
  private readonly openspecDir: string;

  constructor(
    private readonly project: ProjectRow,
    private readonly sync: OpenSpecSyncService,
    private readonly opts: FileWatcherOptions = {},
  ) {
    this.openspecDir = path.join(project.rootPath, "openspec");
    this.polling = !!opts.usePolling;
  }

  get debounceMs(): number {
    return this.opts.debounceMs ?? SYNC_DEFAULTS.debounceMs;
  }

  async start(): Promise<void> {
    if (this.watcher) return;
    this.state = "starting";
    const watcher = watch(this.openspecDir, {
      ignoreInitial: true,
      persistent: true,
      usePolling: this.polling,
      interval: 500,
      binaryInterval: 1000,
      // We settle writes ourselves (trailing debounce + stability re-check); chokidar's own waits 2
      // s.
      awaitWriteFinish: false,
      atomic: false,
      ignored: (p: string, stats?: { isFile(): boolean }) => this.ignored(p, stats),
    });
    this.watcher = watcher;
    watcher.on("all", (event, p) => this.onEvent(event, p));
    if (!this.polling) watcher.on("raw", (_event, name, details) => this.onRaw(name, details));
    watcher.on("error", (err) => this.onError(err as NodeJS.ErrnoException));
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
    if (this.watcher !== watcher) return; // stopped while starting
    this.watchArchive();
    this.state = this.polling ? "polling" : "watching";
    this.backoffMs = 250;
    this.opts.log?.(`watcher ${this.project.name}: ${this.state} ${this.openspecDir}`);
  }

  /** Stop watching; queued syncs are flushed and in-flight ones awaited. */
  async stop(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    for (const t of this.verifiers) clearTimeout(t);
    this.verifiers.clear();
    const pending = [...this.timers.values()].map((t) => t.job);
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.unwatchArchive();
    await this.watcher?.close();
    this.watcher = null;
    for (const job of pending) this.fire(job);
    await Promise.allSettled([...this.inflight]);
    this.state = "stopped";
  }

  private watchArchive(): void {
    this.unwatchArchive();
    if (this.polling) return;
    let w: DirWatcher;
    try {
      w = watchDir(path.join(this.openspecDir, "changes", "archive"), { persistent: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return; // created later: chokidar reports it and we come back here
      this.onError(err as NodeJS.ErrnoException);
      return;
    }
    w.on("change", (_type, name) => {
      const entry = typeof name === "string" ? name : name?.toString();
      if (!entry || isIgnoredName(entry)) return;
      this.lastEventAt = new Date();
      this.schedule({ kind: "folder", folder: `changes/archive/${entry}` });
      this.schedule(DISCOVER, DISCOVER_DEBOUNCE_MS);
    });
    // The folder itself went away (chokidar reports that too); anything else is a watcher error.
    w.on("error", (err: NodeJS.ErrnoException) => {
      this.unwatchArchive();
      if (err.code !== "ENOENT" && err.code !== "EPERM") this.onError(err);
    });
    this.archiveWatch = w;
  }

  private unwatchArchive(): void {
    this.archiveWatch?.close();
    this.archiveWatch = null;
  }

  /**
   * Reported by the scheduler when it found a change the watcher should have seen: the watcher
   * is silent.
   */
  reportMissedChange(where: string): void {
    if (this.state === "stopped") return;
    this.lastError = `missed a change to ${where}; restarting the watcher`;
    this.opts.log?.(`watcher ${this.project.name}: ${this.lastError}`);
    this.scheduleRestart();
  }

  /**
   * A file event reported by the watch on its folder (inotify reports writes, creations and
   * removals of a folder's entries).
   */
  private onRaw(name: unknown, details: unknown): void {
    const dir = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
    if (typeof name !== "string" || typeof dir !== "string" || isIgnoredName(name)) return;
    if (!TRACKED_NAMES.has(name)) return;
    this.onEvent("change", path.join(dir, name));
  }

  private ignored(p: string, stats?: { isFile(): boolean }): boolean {
    const rel = path.relative(this.openspecDir, p);
    if (rel === "") return false;
    const parts = rel.split(path.sep);
    if (parts[0] !== "changes" && parts[0] !== "specs") return true;
    // Hybrid strategy: archived changes are the scheduler's. The watcher sees folders arrive in and
    // leave archive/ (an `openspec archive` move) but does not watch them: on a big workspace they
    // are most of the folders, and chokidar keeps a handle and ~20 KB per watched entry. Arrivals
    // come from one plain watch on archive/ itself; when polling (no inotify), chokidar polls the
    // folders instead.
    if (parts[0] === "changes" && parts[1] === "archive" && parts.length > (this.polling ? 3 : 2))
      return true;
    if (parts.some(isIgnoredName)) return true;
    // Files are not watched one by one: the watch on their folder reports them (see onRaw). One
    // handle, a Stats and closures per file was most of the server's memory on a big workspace.
    // Polling has no folder events, so it still polls each file.
    return !this.polling && stats?.isFile() === true;
  }

  private onEvent(event: string, absPath: string): void {
    this.lastEventAt = new Date();
    const rel = path.relative(this.openspecDir, absPath).split(path.sep).join("/");
    const isDirEvent = event === "addDir" || event === "unlinkDir";
    if (rel === "changes/archive" && isDirEvent) {
      if (event === "addDir") this.watchArchive();
      else this.unwatchArchive();
      this.schedule(DISCOVER, DISCOVER_DEBOUNCE_MS);
      return;
    }
    if (!isDirEvent && !TRACKED_NAMES.has(path.basename(rel))) return;
    const job = this.jobOf(rel, isDirEvent);
    if (job) this.schedule(job);
    // A change folder appeared or vanished. chokidar can miss the removal of a folder it was still
    // setting up (created and renamed within a few ms), so a new folder also triggers a cheap listing
    // check for rows whose folder is gone, and folders without a row.
    const changeFolder =
      job?.kind === "folder" && job.folder.startsWith("changes/") && job.folder === rel;
    if (isDirEvent && changeFolder) {
      this.schedule(DISCOVER, DISCOVER_DEBOUNCE_MS);
    }
  }

  /** The change folder an event belongs to, or a `specs/…` prefix to rescan (a spec tree may have moved). */
  private jobOf(rel: string, isDir: boolean): Job | null {
    const parts = rel.split("/");
    if (parts[0] === "changes") {
      if (parts.length < 2) return null;
      if (parts[1] === "archive") {
        return parts.length >= 3 ? { kind: "folder", folder: `changes/archive/${parts[2]}` } : null;
      }
      return { kind: "folder", folder: `changes/${parts[1]}` };
    }
    if (parts[0] === "specs") {
      const dir = isDir ? rel : parts.slice(0, -1).join("/");
      return dir === "specs" ? null : { kind: "specs", prefix: dir };
    }
    return null;
  }

  private schedule(job: Job, delay = this.debounceMs): void {
    const key = jobKey(job);
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.fire(job);
    }, delay);
    this.timers.set(key, { job, timer });
  }

  private fire(job: Job): void {
    const running = this.run(job).finally(() => this.inflight.delete(running));
    this.inflight.add(running);
  }

  private async run(job: Job): Promise<void> {
    try {
      if (job.kind === "discover") {
        const summary = await this.sync.discover(this.project, "file_watcher");
        for (const o of summary.outcomes) this.opts.onSynced?.(o);
        if (summary.outcomes.some((o) => o.retryable)) this.retryLater(job);
        return;
      }
      if (job.kind === "specs") {
        const { prefix } = job;
        // A spec folder (or a tree of them) changed: sync exactly the capabilities under it.
        const summary = await this.sync.syncProject(this.project, "file_watcher", {
          only: (ref) =>
            ref.kind === "spec" &&
            (ref.path === prefix ||
              ref.path.startsWith(`${prefix}/`) ||
              prefix.startsWith(`${ref.path}/`)),
        });
        for (const o of summary.outcomes) this.opts.onSynced?.(o);
        if (summary.outcomes.some((o) => o.retryable)) this.retryLater(job);
        else this.retryDelays.delete(jobKey(job));
        return;
      }
      const { folder } = job;
      const before = this.fingerprint(folder);
      const outcome = await this.sync.syncFolder(this.project, folder, "file_watcher");
      this.opts.onSynced?.(outcome);
      if (outcome.retryable) return this.retryLater(job);
      this.retryDelays.delete(folder);
      // Still being written while we read it: read again once it settles.
      if (this.fingerprint(folder) !== before) this.schedule(job);
      else this.verifyLater(job, before);
    } catch (err) {
      const what = jobKey(job);
      this.opts.log?.(`watcher ${this.project.name}: sync of ${what} failed: ${errorMessage(err)}`);
    }
  }

  /**
   * The database was unreachable: the save is still on disk, so try again with backoff until it is
   * back (250 ms doubling to 5 s). Nothing saved during an outage waits for the next scheduled run.
   */
  private retryLater(job: Job): void {
    const key = jobKey(job);
    const delay = this.retryDelays.get(key) ?? 250;
    this.retryDelays.set(key, Math.min(delay * 2, 5_000));
    const timer = setTimeout(() => {
      this.verifiers.delete(timer);
      if (this.state !== "stopped" && !this.timers.has(key)) this.schedule(job);
    }, delay);
    this.verifiers.add(timer);
  }

  /**
   * chokidar drops a second `change` of the same path within 50 ms (its throttle), so a save right
   * after another one can go unreported. Look once more after that window; a cheap stat comparison.
   */
  private verifyLater(job: Job & { kind: "folder" }, fingerprint: string | null): void {
    const timer = setTimeout(() => {
      this.verifiers.delete(timer);
      const { folder } = job;
      if (this.state === "stopped" || this.timers.has(folder)) return;
      if (this.fingerprint(folder) !== fingerprint) this.schedule(job);
    }, CHOKIDAR_THROTTLE_MS + 10);
    this.verifiers.add(timer);
  }

  /** The folder's stat fingerprint (sync/disk.ts): equal fingerprints mean nothing moved meanwhile. */
  private fingerprint(folder: string): string | null {
    return settleFingerprint(this.openspecDir, folder);
  }

  private onError(err: NodeJS.ErrnoException): void {
    this.lastError = errorMessage(err);
    if ((err.code === "ENOSPC" || err.code === "EMFILE") && !this.polling) {
      this.opts.log?.(
        `watcher ${this.project.name}: the OS refused more file watches (${err.code}); falling back to polling. ` +
          `Raise fs.inotify.max_user_watches (ENOSPC) or the open-file limit (EMFILE) to get instant updates back.`,
      );
      this.polling = true;
    } else {
      this.opts.log?.(`watcher ${this.project.name}: error ${this.lastError}`);
    }
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.restartTimer || this.state === "stopped") return;
    this.state = "restarting";
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
    this.restartTimer = setTimeout(async () => {
      this.restartTimer = null;
      const old = this.watcher;
      this.watcher = null;
      this.unwatchArchive();
      await old?.close().catch(() => {});
      this.restarts++;
      try {
        await this.start();
        // Whatever happened while we were deaf is caught up by a full reconcile.
        await this.sync.syncProject(this.project, "file_watcher");
      } catch (err) {
        this.state = "failed";
        this.lastError = errorMessage(err);
        this.scheduleRestart();
      }
    }, delay);
  }
}
