import path from "node:path";
import { validateDetailed } from "node-cron";
import { z } from "zod";
import { allowedHostsFor } from "./hosts";

/**
 * Defaults of the sync engine, written once. The server passes the validated settings down; the
 * services fall back to these when a caller (a test, the CLI) leaves an option out.
 */
export const SYNC_DEFAULTS = {
  cron: "*/30 * * * * *",
  staleSeconds: 30,
  batchSize: 50,
  concurrency: 10,
  debounceMs: 5,
  /** A row not synced for this long counts as stale in the sync status (UI, `sync.status`). */
  statusStaleSeconds: 300,
} as const;

/**
 * The scheduler's own parser decides: a bad expression stops the start with the reason, instead of
 * a server that runs without its periodic batch.
 */
function cronExpression(value: string, ctx: z.RefinementCtx): void {
  const r = validateDetailed(value);
  if (r.valid) return;
  const why = r.errors.map((e) => e.message).join("; ");
  ctx.addIssue({
    code: "custom",
    message:
      `"${value}" is not a cron expression ([second] minute hour day-of-month month ` +
      `day-of-week, e.g. "*/30 * * * * *"): ${why}`,
  });
}

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 3100;
export const DEFAULT_WEB_PORT = 3000;

/** Folder of a project that holds specsync's own files (the embedded database); never synced. */
export const SPECSYNC_DIR = ".specsync";

const list = (sep: string) =>
  z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(sep)
            .map((s) => s.trim())
            .filter(Boolean)
        : [],
    );

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const url = (name: string) =>
  z
    .string()
    .optional()
    .refine((v) => !v || /^https?:\/\/[^\s/]+/.test(v), `${name} must be an http(s):// URL`);

/** A browser cannot reach a wildcard address: the URL we hand out names the loopback instead. */
const reachableHost = (host: string) =>
  host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;

/**
 * Every setting specsync reads from the environment; the README's settings table lists them all.
 */
const fields = z.object({
  DATABASE_URL: z
    .string()
    .optional()
    .refine(
      (v) => !v || /^postgres(ql)?:\/\//.test(v),
      "DATABASE_URL must be a postgres:// URL (unset it to use the embedded PGlite)",
    ),
  /** Unset: `<first project>/.specsync/pglite` (see `embeddedDataDir`). */
  SPECSYNC_DATA_DIR: z.string().optional(),
  SPECSYNC_PROJECTS: list(path.delimiter),
  SPECSYNC_ALLOWED_ROOTS: list(path.delimiter),
  PORT: port(DEFAULT_PORT),
  HOST: z.string().min(1).default(DEFAULT_HOST),
  WEB_PORT: port(DEFAULT_WEB_PORT),
  SPECSYNC_TOKEN: z.string().min(16, "SPECSYNC_TOKEN must be at least 16 characters").optional(),
  /** Unset: the web app's own origins, `http://localhost:WEB_PORT,http://127.0.0.1:WEB_PORT`. */
  SPECSYNC_WEB_ORIGIN: z.string().optional(),
  /**
   * Host names (besides localhost/127.0.0.1/[::1] on our port) the API answers to: `name` or
   * `name:port`.
   */
  SPECSYNC_ALLOWED_HOSTS: list(","),
  /** Unset: `http://HOST:PORT`. */
  SPECSYNC_API_URL: url("SPECSYNC_API_URL"),
  SPECSYNC_CRON: z.string().default(SYNC_DEFAULTS.cron).superRefine(cronExpression),
  SPECSYNC_STALE_SECONDS: z.coerce.number().int().min(1).default(SYNC_DEFAULTS.staleSeconds),
  SPECSYNC_STATUS_STALE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(SYNC_DEFAULTS.statusStaleSeconds),
  SPECSYNC_BATCH_SIZE: z.coerce.number().int().min(1).max(10000).default(SYNC_DEFAULTS.batchSize),
  SPECSYNC_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(SYNC_DEFAULTS.concurrency),
  SPECSYNC_DEBOUNCE_MS: z.coerce.number().int().min(0).max(100).default(SYNC_DEFAULTS.debounceMs),
  /** Longest an OpenSpec CLI run (new, validate, archive) may take before it is stopped. */
  SPECSYNC_OPENSPEC_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  /**
   * Longest a server's stop (on SIGINT/SIGTERM, also during its startup) may take; then the web
   * UI's process is killed and the server exits with code 1.
   */
  SPECSYNC_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  SPECSYNC_LOG: z.enum(["silent", "info", "debug"]).default("info"),
  /**
   * Set by npm/pnpm to the folder a script was started from; relative paths are resolved from
   * it, in the script's own process only (`loadSettings` drops it in a process running elsewhere).
   */
  INIT_CWD: z.string().optional(),
});

/** The names of every setting (turbo.json passes each of them through to `pnpm dev`). */
export const SETTING_NAMES = Object.keys(fields.shape) as (keyof z.infer<typeof fields>)[];

/** Settings, validated, with the defaults that depend on other settings filled in. */
export const settingsSchema = fields.transform((s) => ({
  ...s,
  SPECSYNC_WEB_ORIGIN:
    s.SPECSYNC_WEB_ORIGIN ?? `http://localhost:${s.WEB_PORT},http://127.0.0.1:${s.WEB_PORT}`,
  SPECSYNC_API_URL: (s.SPECSYNC_API_URL ?? `http://${reachableHost(s.HOST)}:${s.PORT}`).replace(
    /\/+$/,
    "",
  ),
}));

export type Settings = z.output<typeof settingsSchema>;

/**
 * What the web app's own process reads. Next.js sets PORT to the web port in its process, so the
 * API's address cannot be derived there: whoever starts the web app (`specsync`, `pnpm dev`) passes
 * SPECSYNC_API_URL, derived from the full settings; the fallback is the default API address. PORT
 * is the port the web server listens on (Next sets it before the first request): the web port's
 * Host check accepts loopback names on it, the bind address (HOST) and SPECSYNC_ALLOWED_HOSTS.
 */
export const webSettingsSchema = fields
  .pick({
    SPECSYNC_API_URL: true,
    SPECSYNC_TOKEN: true,
    HOST: true,
    SPECSYNC_ALLOWED_HOSTS: true,
  })
  .extend({ PORT: port(DEFAULT_WEB_PORT), NODE_ENV: z.string().optional() })
  .transform((s) => ({
    apiUrl: (s.SPECSYNC_API_URL ?? `http://${DEFAULT_HOST}:${DEFAULT_PORT}`).replace(/\/+$/, ""),
    /**
     * The API's token, if it requires one: sent by the web server's own calls only, never to the
     * browser. When set, the web port serves pages only to a browser signed in with it.
     */
    token: s.SPECSYNC_TOKEN,
    webPort: s.PORT,
    allowedHosts: allowedHostsFor(s.HOST, s.SPECSYNC_ALLOWED_HOSTS),
    /** `next dev`: its hot reload needs eval and a WebSocket, which the page policy then allows. */
    dev: s.NODE_ENV === "development",
  }));

export type WebSettings = z.output<typeof webSettingsSchema>;

/**
 * Where the embedded PGlite lives: SPECSYNC_DATA_DIR (relative to `cwd`; `memory://` for a
 * throwaway database), else `<first project>/.specsync/pglite`. The one place this default is
 * written.
 */
export function embeddedDataDir(
  dataDir: string | undefined,
  firstProject: string,
  cwd: string,
): string {
  if (!dataDir) return path.join(firstProject, SPECSYNC_DIR, "pglite");
  return dataDir.startsWith("memory://") ? dataDir : path.resolve(cwd, dataDir);
}

/** Origins allowed by CORS, from SPECSYNC_WEB_ORIGIN. */
export function allowedOrigins(settings: Pick<Settings, "SPECSYNC_WEB_ORIGIN">): string[] {
  return settings.SPECSYNC_WEB_ORIGIN.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
