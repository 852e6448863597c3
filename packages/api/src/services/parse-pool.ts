import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { SpecKind } from "@specsync/validators";
import { errorMessage } from "../utils/errors";
import {
  type DerivedFields,
  deriveFields,
  type ParseJob,
  type ParseParts,
  type ParseResult,
  parseJobSize,
  runParseJob,
  unparsedFields,
} from "../utils/openspec";
import type { ArchivePreview } from "./delta-preview";
import { type ReplySlice, unsliceDeriveReply } from "./derive-reply";
import type { ReadNewJob, ReadNewResult } from "./sync/import-read";
import type { CappedReport, PreviewJob, ValidateJob } from "./validate-job";

/**
 * What a worker runs: the pure parse jobs, a bulk import's reading of new folders, and the CLI's
 * validator.
 */
export type PoolJob = ParseJob | ReadNewJob | ValidateJob | PreviewJob;

/** A job ran past the pool's time limit: its worker was terminated. */
export class PoolTimeoutError extends Error {
  constructor(
    what: string,
    readonly timeoutMs: number,
  ) {
    super(`${what} took longer than ${timeoutMs / 1000} s and was stopped`);
  }
}

/**
 * Below this many characters a job runs inline: a worker round trip (~1 ms) would cost more than
 * the parse.
 */
export const PARSE_INLINE_MAX = 64 * 1024;
/** A worker busy longer than this is terminated (and replaced on the next job); its job fails. */
export const PARSE_TIMEOUT_MS = 10_000;

type Task = {
  job: PoolJob;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
  /** When its worker got it (performance.now()). */
  since?: number;
};
type Reply = { ok: true; value: unknown; slices?: ReplySlice[] } | { ok: false; error: string };

/**
 * A tiny pool of worker threads for parsing big documents, so that one large or hostile file never holds the
 * event loop (linear parsers still take tens of ms per MiB, seconds for a million tasks). Workers start
 * on first use and are unref'd while idle: an idle pool never keeps the process alive. A hand-written pool
 * rather than piscina: piscina loads its own worker file by path, which the single-file esbuild bundle breaks.
 */
export class ParsePool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Task>();
  private readonly queue: Task[] = [];
  private readonly ready = new WeakSet<Worker>();
  private readonly size: number;
  private readonly spare: { afterMs: number; max: number } | null;
  private spareTimer: NodeJS.Timeout | null = null;
  private readonly timeoutMs: number;
  private readonly youngMb: number | undefined;
  private readonly what: string;
  private closed = false;
  private warming: Promise<void> | null = null;

  /**
   * `youngMb`: the workers' young generation (V8's default is small under --optimize-for-size).
   * `what`: the work, as a timeout error names it. `spare`: when every worker has been busy with
   * one job for `afterMs`, a waiting job gets a spare worker (up to `max` in all), so one slow job
   * (a crafted file, up to the time limit) does not hold up the others; spares end when idle.
   */
  constructor(
    opts: {
      size?: number;
      timeoutMs?: number;
      youngMb?: number;
      what?: string;
      spare?: { afterMs: number; max: number };
    } = {},
  ) {
    this.size = opts.size ?? Math.max(1, Math.min(2, availableParallelism() - 1));
    this.spare = opts.spare ?? null;
    this.timeoutMs = opts.timeoutMs ?? PARSE_TIMEOUT_MS;
    this.youngMb = opts.youngMb;
    this.what = opts.what ?? "parsing";
  }

  /**
   * Run `job` on a worker. Rejects (never hangs) when the worker fails, runs out of memory or
   * times out.
   */
  run<J extends ParseJob>(job: J): Promise<ParseResult<J>>;
  run(job: ValidateJob): Promise<CappedReport>;
  run(job: PreviewJob): Promise<ArchivePreview>;
  run(job: ReadNewJob): Promise<ReadNewResult>;
  run(job: PoolJob): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error("the parse pool is closed"));
    return new Promise<unknown>((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  /**
   * Start the workers now rather than on the first big file: starting a thread costs the event loop
   * a few ms (far more when loaded through tsx), better paid at server start than in the middle of
   * a request. Resolves when they are ready; never rejects (a worker that fails to start is
   * replaced on first use).
   */
  warm(): Promise<void> {
    this.warming ??= Promise.all(
      Array.from({ length: this.size }, () => this.run({ op: "page" }).catch(() => {})),
    ).then(() => {});
    return this.warming;
  }

  /** Whether a worker has loaded (a bulk import or the first big file starts it). */
  get started(): boolean {
    return [...this.idle, ...this.busy.keys()].some((w) => this.ready.has(w));
  }

  /** Workers alive right now (idle or busy). */
  get workers(): number {
    return this.idle.length + this.busy.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.spareTimer) clearTimeout(this.spareTimer);
    for (const t of this.queue.splice(0)) t.reject(new Error("the parse pool is closed"));
    const all = [...this.idle.splice(0), ...this.busy.keys()];
    for (const [w, t] of this.busy) this.settle(w, t, new Error("the parse pool is closed"));
    await Promise.all(all.map((w) => w.terminate()));
  }

  /** A spare worker is due: every worker is stuck on one job for `spare.afterMs`. */
  private spareDue(): boolean {
    if (!this.spare || this.workers >= this.spare.max || this.busy.size < this.workers)
      return false;
    const { afterMs } = this.spare;
    const now = performance.now();
    // A worker still loading (no `since`) is not stuck.
    return [...this.busy.values()].every((t) => now - (t.since ?? now) >= afterMs);
  }

  /** Look again when the youngest running job reaches `spare.afterMs`, if jobs still wait. */
  private checkSpareLater(): void {
    if (!this.spare || this.spareTimer || !this.queue.length) return;
    if (this.workers >= this.spare.max) return;
    const now = performance.now();
    const youngest = Math.max(...[...this.busy.values()].map((t) => t.since ?? now));
    this.spareTimer = setTimeout(
      () => {
        this.spareTimer = null;
        if (!this.closed) this.pump();
      },
      Math.max(1, this.spare.afterMs - (now - youngest)),
    );
    this.spareTimer.unref();
  }

  private pump(): void {
    while (this.queue.length) {
      const worker =
        this.idle.pop() ?? (this.workers < this.size || this.spareDue() ? this.spawn() : null);
      if (!worker) {
        this.checkSpareLater();
        return;
      }
      const task = this.queue.shift();
      if (!task) {
        this.idle.push(worker);
        return;
      }
      this.busy.set(worker, task);
      worker.ref();
      if (this.ready.has(worker)) this.dispatch(worker, task);
      else
        task.timer = setTimeout(
          () => this.kill(worker, new Error("the parse worker did not start")),
          Math.max(60_000, this.timeoutMs),
        );
    }
  }

  private dispatch(worker: Worker, task: Task): void {
    clearTimeout(task.timer);
    task.since = performance.now();
    task.timer = setTimeout(
      () => this.kill(worker, new PoolTimeoutError(this.what, this.timeoutMs)),
      this.timeoutMs,
    );
    worker.postMessage(task.job);
  }

  private spawn(): Worker {
    const here = import.meta.url;
    // From sources the worker is TypeScript (loaded through tsx); in the bundle it is
    // lib/parse-worker.js. A runaway parse dies alone (ERR_WORKER_OUT_OF_MEMORY) instead of taking
    // the server's heap with it.
    const resourceLimits = {
      maxOldGenerationSizeMb: 1024,
      ...(this.youngMb ? { maxYoungGenerationSizeMb: this.youngMb } : {}),
    };
    const worker = here.endsWith(".ts")
      ? new Worker(new URL("./parse-worker-dev.mjs", here), {
          workerData: { entry: new URL("./parse-worker.ts", here).href },
          resourceLimits,
        })
      : new Worker(new URL("./parse-worker.js", here), { resourceLimits });
    // The timeout counts from a loaded worker: loading through tsx takes seconds, which is not the
    // parse's fault.
    worker.on("message", (reply: Reply | "ready") => {
      const task = this.busy.get(worker);
      if (reply === "ready") {
        this.ready.add(worker);
        if (task) this.dispatch(worker, task);
        return;
      }
      if (!task) return;
      if (reply.ok) this.settle(worker, task, null, replyValue(task.job, reply));
      else this.settle(worker, task, new Error(reply.error));
      worker.unref();
      // A spare with nothing waiting ends: the pool shrinks back to its size.
      // (Settled: this worker is in neither `busy` nor `idle`, so `workers` counts the others.)
      if (!this.queue.length && this.workers >= this.size) {
        this.retire(worker);
        return;
      }
      this.idle.push(worker);
      this.pump();
    });
    worker.on("error", (err) =>
      this.kill(worker, new Error(`the parse worker failed: ${errorMessage(err)}`)),
    );
    worker.on("exit", () => this.kill(worker, new Error("the parse worker exited")));
    return worker;
  }

  private settle(worker: Worker, task: Task, err: Error | null, value?: unknown): void {
    clearTimeout(task.timer);
    this.busy.delete(worker);
    if (err) task.reject(err);
    else task.resolve(value);
  }

  private retire(worker: Worker): void {
    worker.removeAllListeners("message");
    worker.removeAllListeners("exit");
    void worker.terminate();
  }

  /** Fail the worker's job, drop the worker (a new one starts for the next job). Idempotent. */
  private kill(worker: Worker, err: Error): void {
    const task = this.busy.get(worker);
    if (task) this.settle(worker, task, err);
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    worker.removeAllListeners("message");
    void worker.terminate();
    if (!this.closed) this.pump();
  }
}

/** A reply's value, with a derive's big sections put back from the job's proposal. */
function replyValue(job: PoolJob, reply: Reply & { ok: true }): unknown {
  if (!reply.slices || job.op !== "derive") return reply.value;
  return unsliceDeriveReply(job.files, reply.value as DerivedFields, reply.slices);
}

let shared: ParsePool | null = null;
/** The process-wide pool (workers start lazily; idle ones do not keep the process alive). */
export function sharedParsePool(): ParsePool {
  shared ??= new ParsePool();
  return shared;
}

/** Run a parse job inline when small, on the pool when big. Rejects only when the pool fails. */
export async function parseOffThread<J extends ParseJob>(
  job: J,
  pool: ParsePool = sharedParsePool(),
): Promise<ParseResult<J>> {
  return parseJobSize(job) <= PARSE_INLINE_MAX ? runParseJob(job) : pool.run(job);
}

/**
 * `deriveFields` that keeps big folders off the event loop. Never throws: a failed parse lands
 * in `parseError`.
 */
export async function deriveFieldsOffThread(
  kind: SpecKind,
  name: string,
  files: Record<string, string>,
  pool?: ParsePool,
  parts?: ParseParts,
): Promise<DerivedFields> {
  const job = { op: "derive" as const, kind, name, files };
  if (parseJobSize(job) <= PARSE_INLINE_MAX) return deriveFields(kind, name, files, parts);
  try {
    return await parseOffThread(job, pool);
  } catch (err) {
    return unparsedFields(name, `could not parse the files: ${errorMessage(err)}`);
  }
}

/**
 * `deriveFields` on the pool whatever the folder's size: a bulk import parses there while the
 * event loop talks to the database (and, on PGlite, runs it). Never throws, like the above.
 */
export async function deriveFieldsOnPool(
  kind: SpecKind,
  name: string,
  files: Record<string, string>,
  pool: ParsePool = sharedParsePool(),
): Promise<DerivedFields> {
  try {
    return await pool.run({ op: "derive" as const, kind, name, files });
  } catch (err) {
    return unparsedFields(name, `could not parse the files: ${errorMessage(err)}`);
  }
}
