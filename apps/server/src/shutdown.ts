/**
 * One shutdown for `start` and `serve`, installed before anything is started: a SIGINT/SIGTERM at
 * any moment of the startup aborts it (`signal`), stops what already runs (`onStop`, last first)
 * and exits 0. The whole stop is bounded by SPECSYNC_SHUTDOWN_TIMEOUT_MS: after that the process
 * exits 1, and its exit hooks kill the web UI's process group and release the data dir lock.
 * Without this, a signal before the handlers existed ended the process by the default action: no
 * exit hook ran, so the lock stayed and the web UI outlived us until it noticed.
 */
export type Shutdown = {
  /** Aborted by the first signal (or `stop`): startup steps check it and give up. */
  signal: AbortSignal;
  /** Run on shutdown, after the startup settled; the last registered runs first. */
  onStop: (step: () => Promise<void>) => void;
  /** The startup in flight: the shutdown waits for it to settle before stopping what it started. */
  starting: (startup: Promise<unknown>) => void;
  /** Shut down and exit with `code` (or 1 if stopping failed / timed out). */
  stop: (why: string, code?: number) => void;
};

const EXIT_CODE = { SIGINT: 130, SIGTERM: 143 } as const;

/** The error a startup step throws once the shutdown began. */
export class StartupAborted extends Error {
  constructor() {
    super("startup aborted: shutting down");
  }
}

/** Throw `StartupAborted` if the shutdown began: a startup's checkpoint between two steps. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StartupAborted();
}

export function installShutdown(opts: {
  timeoutMs: number;
  log?: (msg: string) => void;
  exit?: (code: number) => void;
}): Shutdown {
  const log = opts.log ?? ((m: string) => console.log(`[specsync] ${m}`));
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const controller = new AbortController();
  const steps: (() => Promise<void>)[] = [];
  let startup: Promise<unknown> = Promise.resolve();
  let firstAt: number | null = null;

  const stop = (why: string, code = 0) => {
    if (firstAt !== null) return;
    firstAt = Date.now();
    log(why);
    controller.abort();
    const timer = setTimeout(() => {
      console.error(
        `[specsync] shutdown not done after ${opts.timeoutMs} ms ` +
          "(SPECSYNC_SHUTDOWN_TIMEOUT_MS): stopping the rest outright",
      );
      exit(1);
    }, opts.timeoutMs);
    void (async () => {
      await startup.catch(() => {});
      for (const step of steps.splice(0).reverse()) await step();
    })().then(
      () => {
        clearTimeout(timer);
        exit(code);
      },
      (err) => {
        clearTimeout(timer);
        console.error(`[specsync] shutdown failed: ${(err as Error).message}`);
        exit(1);
      },
    );
  };
  // A second signal within a second is the same request delivered twice (to the process group, and
  // relayed by the installed bin's launcher); a later one exits at once, as an unhandled one would.
  const onSignal = (sig: keyof typeof EXIT_CODE) => {
    if (firstAt === null) return stop(`${sig} received`);
    if (Date.now() - firstAt < 1000) return;
    console.error(`[specsync] ${sig} again: exiting without waiting for the shutdown`);
    exit(EXIT_CODE[sig]);
  };
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  return {
    signal: controller.signal,
    onStop: (step) => void steps.push(step),
    starting: (p) => {
      startup = p;
    },
    stop,
  };
}
